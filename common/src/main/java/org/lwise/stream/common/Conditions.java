package org.lwise.stream.common;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.Objective;

/**
 * Enhancement conditions and their ids, as the reference names its output folders: {@code
 * <eps>_<step_size>_<num_steps>_<objective>[_from_<c1>_<c2>][_attack]}, numbers written as integers
 * when whole ({@code 8_0.5_16_logit_diverge}).
 */
public final class Conditions {
  /** The pseudo-condition of the preprocessed, unperturbed images. */
  public static final String NATURAL = "natural";

  private Conditions() {}

  public static String id(
      double eps,
      double stepSize,
      int numSteps,
      Objective objective,
      List<Integer> divergeFrom,
      boolean attack) {
    return id(eps, stepSize, numSteps, objective, divergeFrom, attack, false);
  }

  /**
   * As {@link #id(double, double, int, Objective, List, boolean)}, {@code _randstart} last for a
   * random start.
   */
  public static String id(
      double eps,
      double stepSize,
      int numSteps,
      Objective objective,
      List<Integer> divergeFrom,
      boolean attack,
      boolean randomStart) {
    StringBuilder id =
        new StringBuilder()
            .append(number(eps))
            .append('_')
            .append(number(stepSize))
            .append('_')
            .append(numSteps)
            .append('_')
            .append(objective.name().toLowerCase(Locale.ROOT));
    if (!divergeFrom.isEmpty()) {
      id.append("_from_")
          .append(divergeFrom.stream().map(String::valueOf).collect(Collectors.joining("_")));
    }
    if (attack) {
      id.append("_attack");
    }
    if (randomStart) {
      id.append("_randstart");
    }
    return id.toString();
  }

  /**
   * Builds a condition with its id; {@code numSteps == null} means the published max(1,
   * round(2·eps)).
   */
  public static Condition create(
      double eps,
      double stepSize,
      Integer numSteps,
      Objective objective,
      List<Integer> divergeFrom,
      boolean attack) {
    return create(eps, stepSize, numSteps, objective, divergeFrom, attack, false);
  }

  /** As above, optionally starting from a random point of the eps sphere. */
  public static Condition create(
      double eps,
      double stepSize,
      Integer numSteps,
      Objective objective,
      List<Integer> divergeFrom,
      boolean attack,
      boolean randomStart) {
    if (!(eps > 0)) {
      throw new IllegalArgumentException("eps must be > 0, got " + eps);
    }
    if (!(stepSize > 0)) {
      throw new IllegalArgumentException("step size must be > 0, got " + stepSize);
    }
    int steps = numSteps != null ? numSteps : defaultSteps(eps);
    if (steps < 1) {
      throw new IllegalArgumentException("num_steps must be >= 1, got " + steps);
    }
    return Condition.newBuilder()
        .setId(id(eps, stepSize, steps, objective, divergeFrom, attack, randomStart))
        .setEps(eps)
        .setStepSize(stepSize)
        .setNumSteps(steps)
        .setObjective(objective)
        .setDivergeFrom(List.copyOf(divergeFrom))
        .setAttack(attack)
        .setRandomStart(randomStart)
        .build();
  }

  /** The published batch runs' step count: max(1, round(2·eps)) (Python's round: half to even). */
  public static int defaultSteps(double eps) {
    return Math.max(1, (int) Math.rint(2 * eps));
  }

  /** The view types of the multi-view variant when none are named. */
  public static final List<String> DEFAULT_AUG_TYPES =
      List.of("color", "translation", "resize", "cutout");

  /**
   * The multi-view variant of a condition: {@code numAugs} random views per step, last iterate. Its
   * id gains {@code _views<n>} and, when not the default four, the view types.
   */
  public static Condition withViews(Condition condition, int numAugs, List<String> augTypes) {
    if (numAugs < 1) {
      throw new IllegalArgumentException("num_augs must be >= 1, got " + numAugs);
    }
    List<String> types = augTypes.stream().map(t -> t.toLowerCase(Locale.ROOT)).toList();
    for (String type : types) {
      if (!DEFAULT_AUG_TYPES.contains(type)) {
        throw new IllegalArgumentException(
            "unknown augmentation '" + type + "'; use " + DEFAULT_AUG_TYPES);
      }
    }
    String suffix =
        "_views" + numAugs + (types.equals(DEFAULT_AUG_TYPES) ? "" : "_" + String.join("_", types));
    // Field by field: Avro's copy-builder would deep-copy through its class-trust check.
    return Condition.newBuilder()
        .setId(condition.getId() + suffix)
        .setEps(condition.getEps())
        .setStepSize(condition.getStepSize())
        .setNumSteps(condition.getNumSteps())
        .setObjective(condition.getObjective())
        .setDivergeFrom(condition.getDivergeFrom())
        .setAttack(condition.getAttack())
        .setRandomStart(condition.getRandomStart())
        .setNumAugs(numAugs)
        .setAugTypes(types)
        .build();
  }

  /**
   * Whether a row gets an output in this condition: with explicit {@code diverge_from}, rows of
   * those classes are dropped (SPEC.md).
   */
  public static boolean appliesTo(Condition condition, int label) {
    return condition.getObjective() != Objective.LOGIT_DIVERGE
        || !condition.getDivergeFrom().contains(label);
  }

  static String number(double value) {
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }
}
