package org.lwise.stream.method;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides which conditions of one image can share a trajectory (SPEC.md, "A sweep shares one
 * trajectory"): with the same objective, step size, attack flag and divergence set, a condition
 * whose path length {@code step_size × num_steps ≤ eps} never reaches its projection, so its
 * iterates are the first {@code num_steps} iterates of the longest such condition. Those share one
 * trajectory; every other condition runs its own.
 */
public final class TrajectoryPlanner {
  private TrajectoryPlanner() {}

  /**
   * A trajectory to run, without its image: objective, step, attack, divergence set, eps and
   * outputs.
   */
  public record Plan(
      Objective objective,
      double stepSize,
      boolean attack,
      List<Integer> divergeFrom,
      double eps,
      List<Trajectory.Output> outputs,
      boolean randomStart,
      int numAugs,
      List<String> augTypes) {
    public Plan(
        Objective objective,
        double stepSize,
        boolean attack,
        List<Integer> divergeFrom,
        double eps,
        List<Trajectory.Output> outputs,
        boolean randomStart) {
      this(objective, stepSize, attack, divergeFrom, eps, outputs, randomStart, 0, List.of());
    }

    /**
     * Needs a separate clean forward pass for the scores (its first pass is not at x0, or is
     * augmented).
     */
    public boolean startsAwayFromX0() {
      return randomStart || numAugs > 0;
    }

    public int steps() {
      return outputs.stream().mapToInt(Trajectory.Output::steps).max().orElse(0);
    }
  }

  public static List<Plan> plan(List<EnhancementCondition> conditions, boolean share) {
    Map<List<Object>, List<EnhancementCondition>> groups = new LinkedHashMap<>();
    List<Plan> plans = new ArrayList<>();
    for (EnhancementCondition c : conditions) {
      // A random start begins on the eps sphere, so its projection binds from the first step.
      // Multi-view conditions return their last iterate and draw random views: never shared either.
      boolean neverProjects =
          !c.randomStart() && c.numAugs() == 0 && c.stepSize() * c.numSteps() <= c.eps();
      if (share && neverProjects) {
        List<Object> key = List.of(c.objective(), c.stepSize(), c.attack(), c.divergeFrom());
        groups.computeIfAbsent(key, k -> new ArrayList<>()).add(c);
      } else {
        plans.add(single(c));
      }
    }
    for (List<EnhancementCondition> group : groups.values()) {
      EnhancementCondition longest =
          group.stream().max(Comparator.comparingInt(EnhancementCondition::numSteps)).orElseThrow();
      List<Trajectory.Output> outputs =
          group.stream().map(c -> new Trajectory.Output(c.id(), c.numSteps())).toList();
      plans.add(
          new Plan(
              longest.objective(),
              longest.stepSize(),
              longest.attack(),
              longest.divergeFrom(),
              longest.eps(),
              outputs,
              false));
    }
    return plans;
  }

  private static Plan single(EnhancementCondition c) {
    return new Plan(
        c.objective(),
        c.stepSize(),
        c.attack(),
        c.divergeFrom(),
        c.eps(),
        List.of(new Trajectory.Output(c.id(), c.numSteps())),
        c.randomStart(),
        c.numAugs(),
        c.augTypes());
  }

  /**
   * The set D of LOGIT_DIVERGE for an image: the condition's explicit classes, or by default every
   * other class present in the job.
   */
  public static List<Integer> divergeSet(Plan plan, int label, List<Integer> classesPresent) {
    if (plan.objective() != Objective.LOGIT_DIVERGE) {
      return List.of();
    }
    if (!plan.divergeFrom().isEmpty()) {
      return plan.divergeFrom();
    }
    return classesPresent.stream().filter(c -> c != label).toList();
  }
}
