package org.lwise.stream.method;

import java.util.List;

/**
 * One run of projected gradient descent on one image, and the conditions that read their result
 * from it. Conditions that share objective, step size and attack flag and whose projection can
 * never bind read the best iterate over their own prefix of a single, longer trajectory.
 *
 * @param x0 the preprocessed image, CHW in [0,1]
 * @param diverge the set D of LOGIT_DIVERGE (class ids); ignored by the other objectives
 * @param eps the projection radius (that of the longest condition)
 * @param outputs the conditions reading this trajectory, each with its own step count
 * @param randomSeed null: start at x0 (the L-WISE default); otherwise start at a random point of
 *     the eps sphere around x0 drawn from this seed (reproducible, so a replayed record gives the
 *     same image)
 */
public record Trajectory(
    float[] x0,
    int label,
    Objective objective,
    double stepSize,
    boolean attack,
    double eps,
    List<Integer> diverge,
    List<Output> outputs,
    Long randomSeed) {

  /** A trajectory starting at x0. */
  public Trajectory(
      float[] x0,
      int label,
      Objective objective,
      double stepSize,
      boolean attack,
      double eps,
      List<Integer> diverge,
      List<Output> outputs) {
    this(x0, label, objective, stepSize, attack, eps, diverge, outputs, null);
  }

  /** A condition reading the best of iterates 0..steps. */
  public record Output(String conditionId, int steps) {}

  public int steps() {
    return outputs.stream().mapToInt(Output::steps).max().orElse(0);
  }
}
