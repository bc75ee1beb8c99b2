package org.lwise.stream.aggregator.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.math3.analysis.ParametricUnivariateFunction;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.exception.ConvergenceException;
import org.apache.commons.math3.exception.TooManyIterationsException;
import org.apache.commons.math3.fitting.SimpleCurveFitter;
import org.apache.commons.math3.fitting.WeightedObservedPoints;
import org.apache.commons.math3.stat.correlation.PearsonsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;
import org.lwise.stream.aggregator.api.DatasetCatalog.Image;
import org.lwise.stream.schema.HumanTally;

/**
 * How well the robust model's ground-truth logit predicts what people get right (the L-WISE claim),
 * measured on the answers collected so far: Pearson and Spearman correlation between {@code
 * robust_gt_logit} and human accuracy over images with at least {@code minTrials} answers (Fisher-z
 * 95% intervals), per dataset and per class; a logistic calibration curve from logit to predicted
 * accuracy, {@code chance + (1 − chance) · σ(a + b · logit)}, fitted by weighted least squares
 * (Commons Math's Levenberg–Marquardt curve fitter, weights = answers per image) — monotone by
 * construction; and the accuracy of each enhancement condition and training block against natural
 * images.
 */
final class Calibration {
  private static final double Z_95 = new NormalDistribution().inverseCumulativeProbability(0.975);

  /** The fitted curve; {@link #predict} maps a logit to expected accuracy. */
  record Curve(double chance, double a, double b) {
    double predict(double logit) {
      return chance + (1 - chance) / (1 + Math.exp(-(a + b * logit)));
    }
  }

  private final List<Image> images;
  private final int classes;
  private final int minTrials;
  private final String condition;
  private final Curve curve;

  /**
   * @param condition whose answers count: {@code all} (pooled over conditions), or one condition id
   */
  Calibration(List<Image> images, int classes, int minTrials, String condition) {
    this.images = images;
    this.classes = Math.max(classes, 2);
    this.minTrials = minTrials;
    this.condition = condition;
    this.curve = fit();
  }

  /** The answers of an image that count here. */
  HumanTally tally(Image image) {
    if (condition.equals("all")) {
      return HumanStats.pooled(image.human());
    }
    HumanTally tally = image.human().get(condition);
    return tally == null ? HumanTally.newBuilder().build() : tally;
  }

  /** The calibration curve, or null while fewer than 3 images have enough answers. */
  Curve curve() {
    return curve;
  }

  private List<Image> answered(List<Image> from) {
    return from.stream().filter(image -> tally(image).getTrials() >= minTrials).toList();
  }

  private Curve fit() {
    List<Image> answered = answered(images);
    if (answered.size() < 3) {
      return null;
    }
    double chance = 1.0 / classes;
    WeightedObservedPoints points = new WeightedObservedPoints();
    for (Image image : answered) {
      HumanTally tally = tally(image);
      points.add(tally.getTrials(), image.logit(), (double) tally.getCorrect() / tally.getTrials());
    }
    ParametricUnivariateFunction logistic =
        new ParametricUnivariateFunction() {
          @Override
          public double value(double x, double... p) {
            return chance + (1 - chance) / (1 + Math.exp(-(p[0] + p[1] * x)));
          }

          @Override
          public double[] gradient(double x, double... p) {
            double s = 1 / (1 + Math.exp(-(p[0] + p[1] * x)));
            double slope = (1 - chance) * s * (1 - s);
            return new double[] {slope, slope * x};
          }
        };
    try {
      double[] fitted =
          SimpleCurveFitter.create(logistic, new double[] {0, 0.1})
              .withMaxIterations(2000)
              .fit(points.toList());
      return new Curve(chance, fitted[0], fitted[1]);
    } catch (ConvergenceException | TooManyIterationsException notFitted) {
      return null; // too few or too uniform answers to fit yet
    }
  }

  ObjectNode json(
      String dataset,
      String jobId,
      Map<String, Double> epsByCondition,
      Map<String, HumanTally> byBlock) {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("dataset", dataset);
    json.put("job_id", jobId);
    json.put("condition", condition);
    json.put("min_trials", minTrials);
    json.put("images_answered", images.stream().filter(i -> tally(i).getTrials() > 0).count());
    json.put("images_used", answered(images).size());
    json.put("trials", images.stream().mapToLong(i -> tally(i).getTrials()).sum());
    json.set("overall", correlations(answered(images)));
    ObjectNode byClass = json.putObject("by_class");
    Map<String, List<Image>> perClass = new TreeMap<>();
    images.forEach(i -> perClass.computeIfAbsent(i.className(), c -> new ArrayList<>()).add(i));
    perClass.forEach((name, list) -> byClass.set(name, correlations(answered(list))));
    if (curve == null) {
      json.putNull("curve");
    } else {
      ObjectNode fitted = json.putObject("curve");
      fitted.put("form", "chance + (1 - chance) / (1 + exp(-(a + b * robust_gt_logit)))");
      fitted.put("chance", curve.chance());
      fitted.put("a", curve.a());
      fitted.put("b", curve.b());
      fitted.put("direction", curve.b() >= 0 ? "increasing" : "decreasing");
      ArrayNode points = fitted.putArray("points");
      double min = images.stream().mapToDouble(Image::logit).min().orElse(0);
      double max = images.stream().mapToDouble(Image::logit).max().orElse(0);
      for (int k = 0; k <= 20; k++) {
        double logit = min + (max - min) * k / 20;
        points
            .addObject()
            .put("robust_gt_logit", logit)
            .put("predicted_accuracy", curve.predict(logit));
      }
    }
    conditionsJson(json.putArray("conditions"), epsByCondition);
    blocksJson(json.putArray("blocks"), byBlock, epsByCondition);
    ArrayNode scatter = json.putArray("images");
    for (Image image : images) {
      HumanTally tally = tally(image);
      if (tally.getTrials() == 0) {
        continue;
      }
      ObjectNode point = scatter.addObject();
      point.put("job_id", image.jobId());
      point.put("row_index", image.rowIndex());
      point.put("class", image.className());
      point.put("robust_gt_logit", image.logit());
      point.put("trials", tally.getTrials());
      point.put("accuracy", (double) tally.getCorrect() / tally.getTrials());
      if (curve != null) {
        point.put("predicted_accuracy", curve.predict(image.logit()));
      }
    }
    return json;
  }

  private ObjectNode correlations(List<Image> answered) {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    int n = answered.size();
    json.put("n", n);
    double[] logits = answered.stream().mapToDouble(Image::logit).toArray();
    double[] accuracy =
        answered.stream()
            .mapToDouble(i -> (double) tally(i).getCorrect() / tally(i).getTrials())
            .toArray();
    boolean defined = n >= 4 && varies(logits) && varies(accuracy);
    correlation(
        json.putObject("pearson"),
        defined ? new PearsonsCorrelation().correlation(logits, accuracy) : Double.NaN,
        n,
        1.0);
    // Spearman's standard error under Fisher's z (Fieller et al.): sqrt(1.06 / (n − 3)).
    correlation(
        json.putObject("spearman"),
        defined ? new SpearmansCorrelation().correlation(logits, accuracy) : Double.NaN,
        n,
        1.06);
    return json;
  }

  private static void correlation(ObjectNode json, double r, int n, double varianceFactor) {
    if (Double.isNaN(r)) {
      json.putNull("r");
      json.putNull("ci_low");
      json.putNull("ci_high");
      return;
    }
    double z = 0.5 * Math.log((1 + r) / (1 - r));
    double se = Math.sqrt(varianceFactor / (n - 3));
    json.put("r", r);
    json.put("ci_low", Math.tanh(z - Z_95 * se));
    json.put("ci_high", Math.tanh(z + Z_95 * se));
  }

  private static boolean varies(double[] values) {
    for (double v : values) {
      if (v != values[0]) {
        return true;
      }
    }
    return false;
  }

  private void conditionsJson(ArrayNode list, Map<String, Double> epsByCondition) {
    Map<String, HumanTally> byCondition = new TreeMap<>();
    for (Image image : images) {
      image
          .human()
          .forEach(
              (c, tally) ->
                  byCondition.merge(c, tally, (x, y) -> HumanStats.pooled(Map.of("x", x, "y", y))));
    }
    Double natural = accuracy(byCondition.get("natural"));
    epsByCondition.forEach(
        (id, eps) -> {
          HumanTally tally = byCondition.get(id);
          ObjectNode json = list.addObject();
          json.put("condition", id);
          json.put("eps", eps);
          json.put("trials", tally == null ? 0 : tally.getTrials());
          putNumber(json, "accuracy", accuracy(tally));
          putNumber(
              json,
              "gain_over_natural",
              accuracy(tally) == null || natural == null ? null : accuracy(tally) - natural);
        });
  }

  private static void blocksJson(
      ArrayNode list, Map<String, HumanTally> byBlock, Map<String, Double> epsByCondition) {
    HumanTally naturalAll = HumanTally.newBuilder().build();
    for (Map.Entry<String, HumanTally> entry : byBlock.entrySet()) {
      if (entry.getKey().endsWith("|natural")) {
        naturalAll = HumanStats.pooled(Map.of("x", naturalAll, "y", entry.getValue()));
      }
    }
    Double natural = accuracy(naturalAll);
    new TreeMap<>(byBlock)
        .forEach(
            (key, tally) -> {
              String block = key.substring(0, key.indexOf('|'));
              String conditionId = key.substring(key.indexOf('|') + 1);
              ObjectNode json = list.addObject();
              if (block.equals("-")) {
                json.putNull("block");
              } else {
                json.put("block", Integer.parseInt(block));
              }
              json.put("condition", conditionId);
              putNumber(json, "eps", epsByCondition.get(conditionId));
              json.put("trials", tally.getTrials());
              putNumber(json, "accuracy", accuracy(tally));
              putNumber(
                  json,
                  "gain_over_natural",
                  accuracy(tally) == null || natural == null ? null : accuracy(tally) - natural);
            });
  }

  private static Double accuracy(HumanTally tally) {
    return tally == null || tally.getTrials() == 0
        ? null
        : (double) tally.getCorrect() / tally.getTrials();
  }

  private static void putNumber(ObjectNode json, String key, Double value) {
    if (value == null) {
      json.putNull(key);
    } else {
      json.put(key, value);
    }
  }
}
