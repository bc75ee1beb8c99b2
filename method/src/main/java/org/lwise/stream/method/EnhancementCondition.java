package org.lwise.stream.method;

import java.util.List;

/**
 * One enhancement condition as the method needs it: what {@link TrajectoryPlanner} plans from. The
 * pipeline's jobs carry the same fields as an Avro record; the gpu-worker converts.
 *
 * @param id the condition id outputs are filed under
 * @param divergeFrom LOGIT_DIVERGE: the classes to diverge from; empty = every other class present
 * @param attack ascend the loss (make the image harder)
 * @param randomStart start from a seeded random point of the eps sphere instead of x0
 * @param numAugs the multi-view variant's views per step; 0 = the plain loop
 * @param augTypes the views' augmentations in order; empty = all (see {@link
 *     ViewAugmentation.Type})
 */
public record EnhancementCondition(
    String id,
    double eps,
    double stepSize,
    int numSteps,
    Objective objective,
    List<Integer> divergeFrom,
    boolean attack,
    boolean randomStart,
    int numAugs,
    List<String> augTypes) {

  public EnhancementCondition {
    divergeFrom = List.copyOf(divergeFrom);
    augTypes = List.copyOf(augTypes);
  }

  /** A plain condition: best iterate of the loop from x0, no views. */
  public static EnhancementCondition plain(
      String id, double eps, double stepSize, int numSteps, Objective objective) {
    return new EnhancementCondition(
        id, eps, stepSize, numSteps, objective, List.of(), false, false, 0, List.of());
  }
}
