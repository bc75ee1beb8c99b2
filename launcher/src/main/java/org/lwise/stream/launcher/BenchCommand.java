package org.lwise.stream.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.lwise.stream.method.AscentResult;
import org.lwise.stream.method.EnhancementCondition;
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.method.L2ProjectedAscent;
import org.lwise.stream.method.Objective;
import org.lwise.stream.method.Preprocessor;
import org.lwise.stream.method.RobustClassifier;
import org.lwise.stream.method.Trajectory;
import org.lwise.stream.method.TrajectoryPlanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lwise bench}: the eps sweep computed as one shared trajectory versus one trajectory per
 * condition, side by side in one run on the same images — model passes, time, and the largest
 * difference between the two results — then the shared sweep at several micro-batch sizes.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark: shared vs separate trajectories for an eps sweep, and micro-batch sizes (prints passes, times and their ratios).",
    footer = {
      "%nExamples:",
      "  lwise bench",
      "  lwise bench --model demo/models/fashion-cnn-standard --count 32 --batch-sizes 1,8,32"
    })
public final class BenchCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      defaultValue = "${sys:lwise.home:-.}/demo/models/fashion-cnn-robust",
      description = "model card")
  Path model;

  @Option(
      names = "--images",
      defaultValue = "${sys:lwise.home:-.}/demo/fashion-mnist/images",
      description = "folder of images")
  Path images;

  @Option(names = "--count", defaultValue = "16", description = "images to use")
  int count;

  @Option(
      names = "--eps",
      split = ",",
      defaultValue = "0.25,0.5,1,2,4,8",
      description = "the sweep (default: the published HAM10000/MHIST sweep)")
  List<Double> eps;

  @Option(
      names = "--objective",
      defaultValue = "logit_diverge",
      description = "${COMPLETION-CANDIDATES}")
  Objective objective;

  @Option(names = "--batch", defaultValue = "16", description = "trajectories per model pass")
  int batch;

  @Option(
      names = "--batch-sizes",
      split = ",",
      defaultValue = "1,4,16",
      description = "micro-batch sizes to compare on the shared sweep; empty to skip")
  List<Integer> batchSizes;

  @Override
  public Integer call() throws Exception {
    List<EnhancementCondition> sweep = new ArrayList<>();
    for (double e : eps) {
      // The published step count, max(1, round(2·eps)).
      int steps = Math.max(1, (int) Math.rint(2 * e));
      sweep.add(EnhancementCondition.plain("eps " + e, e, 0.5, steps, objective));
    }
    try (RobustClassifier classifier = RobustClassifier.load(model)) {
      Preprocessor preprocessor = new Preprocessor(classifier.card().inputSize());
      List<float[]> x0 = new ArrayList<>();
      try (Stream<Path> files = Files.walk(images)) {
        for (Path file : files.filter(Files::isRegularFile).sorted().limit(count).toList()) {
          x0.add(
              Preprocessor.toChw(
                  preprocessor.resizeAndCrop(new ImageDecoder().decode(Files.readAllBytes(file)))));
        }
      }
      int k = classifier.card().numClasses();
      List<Integer> present = new ArrayList<>();
      for (int c = 0; c < Math.min(k, 4); c++) {
        present.add(c);
      }
      L2ProjectedAscent ascent = new L2ProjectedAscent(classifier);
      // Warm-up so the first measured run does not pay for native initialisation.
      run(
          ascent,
          x0.subList(0, 1),
          TrajectoryPlanner.plan(sweep.subList(0, 1), false),
          present,
          batch);

      List<TrajectoryPlanner.Plan> shared = TrajectoryPlanner.plan(sweep, true);
      List<TrajectoryPlanner.Plan> separate = TrajectoryPlanner.plan(sweep, false);
      long t0 = System.nanoTime();
      List<AscentResult> sharedResults = run(ascent, x0, shared, present, batch);
      double sharedSeconds = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      List<AscentResult> separateResults = run(ascent, x0, separate, present, batch);
      double separateSeconds = (System.nanoTime() - t0) / 1e9;

      int sharedBackward = shared.stream().mapToInt(TrajectoryPlanner.Plan::steps).sum();
      int separateBackward = separate.stream().mapToInt(TrajectoryPlanner.Plan::steps).sum();
      double maxDiff = maxDifference(shared, sharedResults, separate, separateResults, x0.size());
      System.out.printf(
          Locale.ROOT,
          "Model %s (%d px, %d classes), %d images, sweep eps %s, %s, step 0.5, steps 2*eps%n",
          classifier.card().id(),
          classifier.card().inputSize(),
          k,
          x0.size(),
          eps,
          objective.name().toLowerCase(Locale.ROOT));
      System.out.printf(
          Locale.ROOT,
          "%-10s %12s %12s %14s %14s%n",
          "",
          "trajectories",
          "bwd/image",
          "fwd/image",
          "seconds");
      System.out.printf(
          Locale.ROOT,
          "%-10s %12d %12d %14d %14.2f%n",
          "separate",
          separate.size(),
          separateBackward,
          separateBackward + separate.size(),
          separateSeconds);
      System.out.printf(
          Locale.ROOT,
          "%-10s %12d %12d %14d %14.2f%n",
          "shared",
          shared.size(),
          sharedBackward,
          sharedBackward + shared.size(),
          sharedSeconds);
      System.out.printf(
          Locale.ROOT,
          "passes ratio separate/shared %.2f, time ratio %.2f, max |difference| of results %.1e%n",
          (double) (separateBackward + separateBackward + separate.size())
              / (sharedBackward + sharedBackward + shared.size()),
          separateSeconds / sharedSeconds,
          maxDiff);
      if (!batchSizes.isEmpty()) {
        compareBatchSizes(ascent, x0, shared, present);
      }
    }
    return 0;
  }

  /** The worker's micro-batching: the same shared sweep with more trajectories per model pass. */
  private void compareBatchSizes(
      L2ProjectedAscent ascent,
      List<float[]> x0,
      List<TrajectoryPlanner.Plan> shared,
      List<Integer> present) {
    System.out.printf(
        Locale.ROOT,
        "%nMicro-batching, shared sweep, %d images:%n%-10s %14s %14s %14s%n",
        x0.size(),
        "batch",
        "seconds",
        "images/s",
        "vs batch " + batchSizes.get(0));
    double first = 0;
    for (int size : batchSizes) {
      long t0 = System.nanoTime();
      run(ascent, x0, shared, present, size);
      double seconds = (System.nanoTime() - t0) / 1e9;
      first = first == 0 ? seconds : first;
      System.out.printf(
          Locale.ROOT,
          "%-10d %14.2f %14.1f %13.2fx%n",
          size,
          seconds,
          x0.size() / seconds,
          first / seconds);
    }
  }

  /** The shared sweep's trajectories of every image, {@code batch} per model pass. */
  static List<AscentResult> run(
      L2ProjectedAscent ascent,
      List<float[]> x0,
      List<TrajectoryPlanner.Plan> plans,
      List<Integer> present,
      int batch) {
    List<Trajectory> all = new ArrayList<>();
    for (TrajectoryPlanner.Plan plan : plans) {
      for (int i = 0; i < x0.size(); i++) {
        int label = present.get(i % present.size());
        all.add(
            new Trajectory(
                x0.get(i),
                label,
                plan.objective(),
                plan.stepSize(),
                plan.attack(),
                plan.eps(),
                TrajectoryPlanner.divergeSet(plan, label, present),
                plan.outputs()));
      }
    }
    List<AscentResult> results = new ArrayList<>();
    for (int from = 0; from < all.size(); from += batch) {
      results.addAll(ascent.run(all.subList(from, Math.min(all.size(), from + batch))));
    }
    return results;
  }

  private static double maxDifference(
      List<TrajectoryPlanner.Plan> shared,
      List<AscentResult> sharedResults,
      List<TrajectoryPlanner.Plan> separate,
      List<AscentResult> separateResults,
      int images) {
    double max = 0;
    for (int s = 0; s < separate.size(); s++) {
      String id = separate.get(s).outputs().get(0).conditionId();
      for (int p = 0; p < shared.size(); p++) {
        List<String> ids =
            shared.get(p).outputs().stream().map(Trajectory.Output::conditionId).toList();
        int o = ids.indexOf(id);
        if (o < 0) {
          continue;
        }
        for (int i = 0; i < images; i++) {
          float[] a = sharedResults.get(p * images + i).best().get(o);
          float[] b = separateResults.get(s * images + i).best().get(0);
          for (int q = 0; q < a.length; q++) {
            max = Math.max(max, Math.abs(a[q] - b[q]));
          }
        }
      }
    }
    return max;
  }
}
