package org.lwise.stream.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * A batch of trajectories as the tensors the loop needs: x0, one-hot labels, the divergence masks
 * and counts, attack signs, objective ids, step sizes and budgets — built once per batch.
 */
record BatchInputs(
    int n,
    int size,
    int pixels,
    float[] x0Flat,
    NDArray x0,
    NDArray oneHot,
    NDArray divergeMask,
    NDArray divergeCount,
    NDArray sign,
    float[] signs,
    NDArray objectives,
    NDArray stepSizes,
    NDArray eps) {

  static BatchInputs of(List<Trajectory> batch, int size, int classes, NDManager scope) {
    int n = batch.size();
    int pixels = 3 * size * size;
    float[] x0Flat = new float[n * pixels];
    float[] oneHot = new float[n * classes];
    float[] divergeMask = new float[n * classes];
    float[] divergeCount = new float[n];
    float[] stepSizes = new float[n];
    float[] eps = new float[n];
    float[] sign = new float[n];
    int[] objective = new int[n];
    for (int i = 0; i < n; i++) {
      Trajectory t = batch.get(i);
      if (t.x0().length != pixels) {
        throw new IllegalArgumentException(
            "image " + i + " has " + t.x0().length + " values, the model takes " + pixels);
      }
      System.arraycopy(t.x0(), 0, x0Flat, i * pixels, pixels);
      oneHot[i * classes + t.label()] = 1f;
      for (int c : t.diverge()) {
        divergeMask[i * classes + c] = 1f;
      }
      divergeCount[i] = Math.max(1, t.diverge().size());
      stepSizes[i] = (float) t.stepSize();
      eps[i] = (float) t.eps();
      sign[i] = t.attack() ? -1f : 1f;
      objective[i] = t.objective().ordinal();
    }
    return new BatchInputs(
        n,
        size,
        pixels,
        x0Flat,
        scope.create(x0Flat, new Shape(n, 3, size, size)),
        scope.create(oneHot, new Shape(n, classes)),
        scope.create(divergeMask, new Shape(n, classes)),
        scope.create(divergeCount, new Shape(n)),
        scope.create(sign, new Shape(n)),
        sign,
        scope.create(objective, new Shape(n)),
        scope.create(stepSizes, new Shape(n, 1, 1, 1)),
        scope.create(eps, new Shape(n)));
  }

  /** The first iterate: x0, or seeded random starts where trajectories ask for them. */
  NDArray start(List<Trajectory> batch, NDManager scope) {
    return batch.stream().anyMatch(t -> t.randomSeed() != null)
        ? scope.create(
            L2ProjectedAscent.randomStarts(batch, x0Flat, pixels), new Shape(n, 3, size, size))
        : x0.duplicate();
  }

  /** Per-image loss of these images' objectives (before the attack sign). */
  NDArray loss(NDArray logits) {
    return L2ProjectedAscent.loss(logits, oneHot, divergeMask, divergeCount, objectives);
  }
}
