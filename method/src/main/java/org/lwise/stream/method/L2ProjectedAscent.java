package org.lwise.stream.method;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The L-WISE enhancement loop of SPEC.md: projected gradient descent on a loss inside an L2 ball,
 * no random start, per-image normalized steps, torch {@code renorm} projection, clamp to [0,1], and
 * the best iterate (strictly lower loss) over x0..xT. Written out by hand because parity with the
 * reference PyTorch loop is the point: every operation mirrors one of the reference's tensor ops,
 * in the same order.
 *
 * <p>A batch may mix images, objectives, budgets and step counts: each image's step is normalized
 * by its own gradient norm and BatchNorm is in eval mode, so an image's result does not depend on
 * its batch mates. Cost: max steps backward and max steps + 1 forward passes per batch.
 */
public final class L2ProjectedAscent {
  /**
   * DJL allows one open GradientCollector per process; workers sharing a JVM (tests, the embedded
   * run) take turns. In production each worker is its own process and this lock is uncontended.
   */
  static final Object GRADIENT_LOCK = new Object();

  private final RobustClassifier model;

  public L2ProjectedAscent(RobustClassifier model) {
    this.model = model;
  }

  public List<AscentResult> run(List<Trajectory> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    synchronized (GRADIENT_LOCK) {
      return runLocked(batch);
    }
  }

  private List<AscentResult> runLocked(List<Trajectory> batch) {
    int n = batch.size();
    int size = model.card().inputSize();
    int k = model.card().numClasses();
    int pixels = 3 * size * size;
    int maxSteps = batch.stream().mapToInt(Trajectory::steps).max().orElse(0);

    List<int[]> bestSteps = new ArrayList<>();
    List<float[]> bestLoss = new ArrayList<>();
    for (Trajectory t : batch) {
      bestSteps.add(new int[t.outputs().size()]);
      float[] losses = new float[t.outputs().size()];
      Arrays.fill(losses, Float.POSITIVE_INFINITY);
      bestLoss.add(losses);
    }
    float[][][] best = new float[n][][];
    for (int i = 0; i < n; i++) {
      best[i] = new float[batch.get(i).outputs().size()][];
    }
    float[][] lossHistory = new float[n][maxSteps + 1];
    float[][] logits0 = new float[n][];
    float[] lastFlat = null;

    try (NDManager scope = model.manager().newSubManager()) {
      BatchInputs in = BatchInputs.of(batch, size, k, scope);
      NDArray x = in.start(batch, scope);
      for (int t = 0; t <= maxSteps; t++) {
        try (NDManager step = scope.newSubManager()) {
          x.attach(step);
          x.setRequiresGradient(true);
          float[] loss;
          NDArray grad = null;
          boolean last = t == maxSteps;
          try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray logits = model.differentiableLogits(x);
            NDArray perImage = in.loss(logits);
            if (t == 0) {
              float[] all = logits.toFloatArray();
              for (int i = 0; i < n; i++) {
                logits0[i] = Arrays.copyOfRange(all, i * k, (i + 1) * k);
              }
            }
            loss = perImage.toFloatArray();
            if (!last) {
              // Descend the batch MEAN of the signed loss (attack = ascend).
              collector.backward(perImage.mul(in.sign()).mean());
              grad = x.getGradient().duplicate();
            }
          }
          NDArray current = x.stopGradient();
          keepBest(
              batch, t, loss, in.signs(), current, pixels, best, bestSteps, bestLoss, lossHistory);
          if (last) {
            lastFlat = current.toFloatArray();
            break;
          }
          x = stepAndProject(current, grad, in.x0(), in.stepSizes(), in.eps()).stopGradient();
          x.attach(scope);
        }
      }
    }

    List<AscentResult> results = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      List<Integer> steps = new ArrayList<>();
      for (int s : bestSteps.get(i)) {
        steps.add(s);
      }
      float[] history = Arrays.copyOf(lossHistory[i], batch.get(i).steps() + 1);
      results.add(
          new AscentResult(
              logits0[i],
              Arrays.asList(best[i]),
              steps,
              history,
              Arrays.copyOfRange(lastFlat, i * pixels, (i + 1) * pixels)));
    }
    return results;
  }

  /**
   * One normalized step down the gradient, then the L2 projection onto the eps ball around x0
   * (torch {@code renorm} arithmetic) and the clamp to [0,1]: {@code x - step * g / (||g|| +
   * 1e-10)}.
   */
  static NDArray stepAndProject(
      NDArray x, NDArray grad, NDArray x0, NDArray stepSizes, NDArray eps) {
    long n = x.getShape().get(0);
    NDArray gradNorm = grad.reshape(n, -1).norm(new int[] {1}).reshape(n, 1, 1, 1);
    NDArray scaled = grad.div(gradNorm.add(1e-10f));
    NDArray next = x.sub(scaled.mul(stepSizes));
    NDArray delta = next.sub(x0);
    NDArray norm = delta.reshape(n, -1).norm(new int[] {1});
    // torch.renorm(p=2, dim=0, maxnorm=eps): factor eps / (norm + 1e-7) where norm > eps.
    NDArray factor = NDArrays.where(norm.gt(eps), eps.div(norm.add(1e-7f)), norm.onesLike());
    return x0.add(delta.mul(factor.reshape(n, 1, 1, 1))).clip(0f, 1f);
  }

  /**
   * The robustness library's L2 random start, {@code clamp(x0 + eps * r / (||r|| + 1e-10), 0, 1)}
   * with r ~ N(0, 1), drawn from the trajectory's seed; x0 itself for trajectories without one.
   */
  static float[] randomStarts(List<Trajectory> batch, float[] x0Flat, int pixels) {
    float[] start = x0Flat.clone();
    for (int i = 0; i < batch.size(); i++) {
      Long seed = batch.get(i).randomSeed();
      if (seed == null) {
        continue;
      }
      Random random = new Random(seed);
      float[] r = new float[pixels];
      double norm = 0;
      for (int p = 0; p < pixels; p++) {
        r[p] = (float) random.nextGaussian();
        norm += (double) r[p] * r[p];
      }
      float scale = (float) (batch.get(i).eps() / (Math.sqrt(norm) + 1e-10));
      for (int p = 0; p < pixels; p++) {
        start[i * pixels + p] = Math.min(1f, Math.max(0f, x0Flat[i * pixels + p] + r[p] * scale));
      }
    }
    return start;
  }

  /** Per-image loss L of SPEC.md (the quantity descended, before the attack sign). */
  static NDArray loss(
      NDArray logits,
      NDArray oneHot,
      NDArray divergeMask,
      NDArray divergeCount,
      NDArray objectives) {
    NDArray zy = logits.mul(oneHot).sum(new int[] {1});
    NDArray logit = zy.neg();
    NDArray crossEntropy = logits.logSoftmax(1).mul(oneHot).sum(new int[] {1}).neg();
    NDArray others = logits.mul(divergeMask).sum(new int[] {1}).div(divergeCount);
    NDArray diverge = zy.sub(others).neg();
    NDArray isLogit = objectives.eq(Objective.LOGIT.ordinal());
    NDArray isCrossEntropy = objectives.eq(Objective.CROSS_ENTROPY.ordinal());
    return NDArrays.where(isLogit, logit, NDArrays.where(isCrossEntropy, crossEntropy, diverge));
  }

  private static void keepBest(
      List<Trajectory> batch,
      int t,
      float[] loss,
      float[] sign,
      NDArray x,
      int pixels,
      float[][][] best,
      List<int[]> bestSteps,
      List<float[]> bestLoss,
      float[][] lossHistory) {
    float[] xs = null;
    for (int i = 0; i < batch.size(); i++) {
      Trajectory trajectory = batch.get(i);
      if (t <= trajectory.steps()) {
        lossHistory[i][t] = loss[i];
      }
      float signed = loss[i] * sign[i];
      // One copy of this image's iterate, shared by every output it is the best of (read-only
      // downstream): a shared sweep's six outputs used to copy the same pixels six times a step.
      float[] image = null;
      List<Trajectory.Output> outputs = trajectory.outputs();
      for (int o = 0; o < outputs.size(); o++) {
        if (t > outputs.get(o).steps()) {
          continue;
        }
        // x0 is the initial best; later iterates replace it only with a strictly lower loss.
        if (t == 0 || signed < bestLoss.get(i)[o]) {
          if (xs == null) {
            xs = x.toType(DataType.FLOAT32, false).toFloatArray();
          }
          if (image == null) {
            image = Arrays.copyOfRange(xs, i * pixels, (i + 1) * pixels);
          }
          best[i][o] = image;
          bestLoss.get(i)[o] = signed;
          bestSteps.get(i)[o] = t;
        }
      }
    }
  }
}
