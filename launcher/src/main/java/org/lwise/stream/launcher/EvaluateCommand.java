package org.lwise.stream.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.lwise.stream.method.RobustClassifier;
import org.lwise.stream.trainer.EvaluationReport;
import org.lwise.stream.trainer.LabeledImages;
import org.lwise.stream.trainer.ModelEvaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lwise evaluate}: clean and L2-PGD accuracy, confusion matrix (CSV + PNG) and gt-logit
 * AUROC.
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description =
        "Clean and adversarial accuracy of a model on a dirmap split, with a confusion matrix (CSV, PNG).")
public final class EvaluateCommand implements Callable<Integer> {
  @Option(names = "--model", required = true)
  Path model;

  @Option(names = "--dirmap", required = true)
  Path dirmap;

  @Option(names = "--split", defaultValue = "test", description = "default ${DEFAULT-VALUE}")
  String split;

  @Option(
      names = "--eps",
      defaultValue = "1.0",
      description = "PGD budget; 0 = clean only (default ${DEFAULT-VALUE})")
  double eps;

  @Option(names = "--steps", defaultValue = "20")
  int steps;

  @Option(names = "--step-size", description = "default 2.5 * eps / steps")
  Double stepSize;

  @Option(names = "--limit", defaultValue = "0", description = "at most this many images (0 = all)")
  int limit;

  @Option(names = "--label-column", defaultValue = "class_num")
  String labelColumn;

  @Option(names = "--out", description = "folder for confusion.csv, confusion.png and metrics.json")
  Path out;

  @Option(names = "--seed", defaultValue = "0")
  long seed;

  @Override
  public Integer call() throws Exception {
    try (RobustClassifier classifier = RobustClassifier.load(model)) {
      LabeledImages images =
          LabeledImages.load(
              dirmap, split, labelColumn, classifier.card().inputSize(), limit, seed);
      double size = stepSize != null ? stepSize : eps > 0 ? 2.5 * eps / steps : 0;
      ModelEvaluator.Evaluation e = evaluate(classifier, images, eps, steps, size, seed);
      System.out.printf(
          "%s on %s (%s split, %d images): clean accuracy %.4f, L2 PGD eps %s x%d accuracy %.4f, "
              + "gt-logit AUROC (correct vs wrong) %.4f%n",
          classifier.card().id(),
          dirmap,
          split,
          e.images(),
          e.cleanAccuracy(),
          eps,
          steps,
          e.adversarialAccuracy(),
          e.gtLogitAuroc());
      if (out != null) {
        Files.createDirectories(out);
        EvaluationReport.writeConfusionCsv(
            e, classifier.card().classNames(), out.resolve("confusion.csv"));
        EvaluationReport.writeConfusionPng(
            e,
            classifier.card().classNames(),
            classifier.card().id() + " on " + split + " (" + e.images() + " images)",
            out.resolve("confusion.png"));
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("model", classifier.card().id());
        metrics.put("dirmap", dirmap.toString());
        metrics.put("split", split);
        metrics.put("images", e.images());
        metrics.put("clean_accuracy", e.cleanAccuracy());
        metrics.put(
            "adversarial_accuracy",
            Double.isNaN(e.adversarialAccuracy()) ? null : e.adversarialAccuracy());
        metrics.put("eps", eps);
        metrics.put("steps", steps);
        metrics.put("step_size", size);
        metrics.put("gt_logit_auroc", e.gtLogitAuroc());
        new ObjectMapper()
            .writerWithDefaultPrettyPrinter()
            .writeValue(out.resolve("metrics.json").toFile(), metrics);
        System.out.println(
            "Wrote " + out.resolve("confusion.csv") + ", confusion.png and metrics.json");
      }
    }
    return 0;
  }

  /**
   * Clean and PGD evaluation in batches of 100, with a progress bar (PGD on a full test split takes
   * minutes).
   */
  static ModelEvaluator.Evaluation evaluate(
      RobustClassifier model,
      LabeledImages images,
      double eps,
      int steps,
      double stepSize,
      long seed) {
    try (ProgressBar bar =
        new ProgressBarBuilder()
            .setTaskName("Evaluating")
            .setStyle(ProgressBarStyle.ASCII)
            .setInitialMax(images.size())
            .setUpdateIntervalMillis(1000)
            .build()) {
      return new ModelEvaluator(model)
          .evaluate(images, eps, steps, stepSize, 100, seed, bar::stepBy);
    }
  }
}
