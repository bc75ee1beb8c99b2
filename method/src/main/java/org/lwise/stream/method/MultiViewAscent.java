package org.lwise.stream.method;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
  /**
   * Views per step, their types, and one seed per image of the batch (derived from the image's
   * identity, so its views are the same whichever batch it lands in).
   */
  public record Views(int count, List<ViewAugmentation.Type> types, List<Long> imageSeeds) {
    public Views {
      if (count < 1) {
        throw new IllegalArgumentException("num_augs must be >= 1");
      }
      types = List.copyOf(types);
      imageSeeds = List.copyOf(imageSeeds);
    }
  }

  private final RobustClassifier model;

  public MultiViewAscent(RobustClassifier model) {
    this.model = model;
  }

  /** Every trajectory's last iterate; its loss history is the view-averaged loss at x0..x(T-1). */
  public List<AscentResult> run(List<Trajectory> batch, Views views) {
    if (views.imageSeeds().size() != batch.size()) {
      throw new IllegalArgumentException(
          views.imageSeeds().size() + " view seeds for " + batch.size() + " trajectories");
    }
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
    float[][] history = new float[n][steps];
    float[] last;
    // The batch-wide draw (the resize factor) depends on the set of images, not their order.
    long batchSeed = views.imageSeeds().stream().mapToLong(Long::longValue).sum();
    try (NDManager scope = model.manager().newSubManager()) {
      BatchInputs in = BatchInputs.of(batch, size, k, scope);
      NDArray x = in.start(batch, scope);
      for (int t = 0; t < steps; t++) {
        try (NDManager step = scope.newSubManager()) {
          x.attach(step);
          x.setRequiresGradient(true);
          NDArray grad;
          try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray total = null;
            NDArray perImageTotal = null;
            for (int v = 0; v < views.count(); v++) {
              NDArray view =
                  views.types().isEmpty()
                      ? x
                      : ViewAugmentation.view(
                          x,
                          views.types(),
                          draws(views.imageSeeds(), t, v),
                          new Random(drawSeed(batchSeed, t, v)));
              NDArray perImage = in.loss(model.differentiableLogits(view));
              NDArray term = perImage.mul(in.sign()).mean();
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
          x =
              L2ProjectedAscent.stepAndProject(current, grad, in.x0(), in.stepSizes(), in.eps())
                  .stopGradient();
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

  private static List<Random> draws(List<Long> imageSeeds, int step, int view) {
    return imageSeeds.stream().map(seed -> new Random(drawSeed(seed, step, view))).toList();
  }

  private static long drawSeed(long seed, int step, int view) {
    return seed * 1_000_003L + step * 101L + view;
  }
}
