package org.lwise.stream.worker;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * SPEC.md's multi-view variant for vision transformers: each step averages, over {@code numAugs}
 * random views ({@link ViewAugmentation}), the batch-mean loss of the view, takes the gradient
 * through the augmentations, then steps and projects exactly as {@link L2ProjectedAscent}, and
 * returns the LAST iterate (no best tracking). Being random it matches the reference in
 * distribution, not bit for bit; with no augmentation types it is the plain loop without best
 * tracking.
 */
public final class MultiViewAscent {
  /** Views per step, their types, and the seed of their random draws. */
  public record Views(int count, List<ViewAugmentation.Type> types, long seed) {
    public Views {
      if (count < 1) {
        throw new IllegalArgumentException("num_augs must be >= 1");
      }
      types = List.copyOf(types);
    }
  }

  private final RobustClassifier model;

  public MultiViewAscent(RobustClassifier model) {
    this.model = model;
  }

  /** Every trajectory's last iterate; its loss history is the view-averaged loss at x0..x(T-1). */
  public List<AscentResult> run(List<Trajectory> batch, Views views) {
    synchronized (L2ProjectedAscent.GRADIENT_LOCK) {
      return runLocked(batch, views);
    }
  }

  private List<AscentResult> runLocked(List<Trajectory> batch, Views views) {
    int n = batch.size();
    int size = model.card().inputSize();
    int k = model.card().numClasses();
    int pixels = 3 * size * size;
    int steps = batch.stream().mapToInt(Trajectory::steps).max().orElse(0);
    float[] x0Flat = new float[n * pixels];
    float[] oneHot = new float[n * k];
    float[] divergeMask = new float[n * k];
    float[] divergeCount = new float[n];
    float[] stepSizes = new float[n];
    float[] eps = new float[n];
    float[] sign = new float[n];
    int[] objective = new int[n];
    for (int i = 0; i < n; i++) {
      Trajectory t = batch.get(i);
      System.arraycopy(t.x0(), 0, x0Flat, i * pixels, pixels);
      oneHot[i * k + t.label()] = 1f;
      for (int c : t.diverge()) {
        divergeMask[i * k + c] = 1f;
      }
      divergeCount[i] = Math.max(1, t.diverge().size());
      stepSizes[i] = (float) t.stepSize();
      eps[i] = (float) t.eps();
      sign[i] = t.attack() ? -1f : 1f;
      objective[i] = t.objective().ordinal();
    }
    float[][] history = new float[n][steps];
    float[] last;
    try (NDManager scope = model.manager().newSubManager()) {
      NDArray x0 = scope.create(x0Flat, new Shape(n, 3, size, size));
      NDArray labels = scope.create(oneHot, new Shape(n, k));
      NDArray dMask = scope.create(divergeMask, new Shape(n, k));
      NDArray dCount = scope.create(divergeCount, new Shape(n));
      NDArray signs = scope.create(sign, new Shape(n));
      NDArray objectives = scope.create(objective, new Shape(n));
      NDArray stepArr = scope.create(stepSizes, new Shape(n, 1, 1, 1));
      NDArray epsArr = scope.create(eps, new Shape(n));
      NDArray x = batch.stream().anyMatch(t -> t.randomSeed() != null)
          ? scope.create(L2ProjectedAscent.randomStarts(batch, x0Flat, pixels), new Shape(n, 3, size, size))
          : x0.duplicate();
      for (int t = 0; t < steps; t++) {
        try (NDManager step = scope.newSubManager()) {
          x.attach(step);
          x.setRequiresGradient(true);
          NDArray grad;
          try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray total = null;
            NDArray perImageTotal = null;
            for (int v = 0; v < views.count(); v++) {
              Random random = new Random(views.seed() * 1_000_003L + t * 101L + v);
              NDArray view = views.types().isEmpty() ? x : ViewAugmentation.view(x, views.types(), random);
              NDArray perImage = L2ProjectedAscent.loss(model.logits(view), labels, dMask, dCount, objectives);
              NDArray term = perImage.mul(signs).mean();
              total = total == null ? term : total.add(term);
              perImageTotal = perImageTotal == null ? perImage : perImageTotal.add(perImage);
            }
            float[] averaged = perImageTotal.div((float) views.count()).toFloatArray();
            for (int i = 0; i < n; i++) {
              history[i][t] = averaged[i];
            }
            collector.backward(views.count() == 1 ? total : total.div((float) views.count()));
            grad = x.getGradient().duplicate();
          }
          NDArray current = x.stopGradient();
          x = L2ProjectedAscent.stepAndProject(current, grad, x0, stepArr, epsArr).stopGradient();
          x.attach(scope);
        }
      }
      last = x.toFloatArray();
    }
    List<AscentResult> results = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      float[] image = Arrays.copyOfRange(last, i * pixels, (i + 1) * pixels);
      List<float[]> outputs = new ArrayList<>();
      List<Integer> chosen = new ArrayList<>();
      for (int o = 0; o < batch.get(i).outputs().size(); o++) {
        outputs.add(image);
        chosen.add(batch.get(i).steps());
      }
      results.add(new AscentResult(null, outputs, chosen, history[i], image));
    }
    return results;
  }
}
