package org.lwise.stream.launcher.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * The chart specs the report's bundled Chart.js script draws (see the aggregator's {@code
 * src/main/web/src/report-chart-config.js} for their shape), and the rank correlations printed
 * beside them.
 */
final class ReportCharts {
  /** Difficulty histograms: ten bins over [0, 1]. */
  static final int BINS = 10;

  private final List<Map<String, Object>> specs = new ArrayList<>();

  /** One point of a scatter, named by its image. */
  record Point(double x, double y, String name) {}

  List<Map<String, Object>> specs() {
    return specs;
  }

  /**
   * A histogram of values in [0, 1] (values outside, like watch-mode difficulties, count in the end
   * bins), one series per key; stacked when there are several.
   */
  void histogram(String id, String title, String xLabel, Map<String, List<Double>> series) {
    List<Double> edges = new ArrayList<>();
    for (int b = 0; b <= BINS; b++) {
      edges.add((double) b / BINS);
    }
    List<Map<String, Object>> datasets = new ArrayList<>();
    series.forEach(
        (label, values) -> {
          int[] counts = new int[BINS];
          for (double v : values) {
            counts[Math.max(0, Math.min(BINS - 1, (int) Math.floor(v * BINS)))]++;
          }
          datasets.add(Map.of("label", label, "counts", counts));
        });
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("kind", "histogram");
    spec.put("id", id);
    spec.put("title", title);
    spec.put("xLabel", xLabel);
    spec.put("bins", edges);
    spec.put("stacked", series.size() > 1);
    // A per-class or per-split chart names its series even when there is one (a dataset of one
    // split).
    spec.put("legend", !series.keySet().equals(Set.of("all")));
    spec.put("series", datasets);
    specs.add(spec);
  }

  /** A scatter, one series per key; with the y = x diagonal for calibration plots. */
  void scatter(
      String id,
      String title,
      String xLabel,
      String yLabel,
      Map<String, List<Point>> series,
      boolean diagonal) {
    List<Map<String, Object>> datasets = new ArrayList<>();
    series.forEach((label, points) -> datasets.add(Map.of("label", label, "points", points)));
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("kind", "scatter");
    spec.put("id", id);
    spec.put("title", title);
    spec.put("xLabel", xLabel);
    spec.put("yLabel", yLabel);
    spec.put("diagonal", diagonal);
    spec.put("series", datasets);
    specs.add(spec);
  }

  /**
   * Spearman's ρ of the points pooled over all series; null below 3 points or for a constant
   * variable.
   */
  static Double spearman(Map<String, List<Point>> series) {
    List<Point> all = new ArrayList<>();
    series.values().forEach(all::addAll);
    if (all.size() < 3) {
      return null;
    }
    double[] x = all.stream().mapToDouble(Point::x).toArray();
    double[] y = all.stream().mapToDouble(Point::y).toArray();
    double rho = new SpearmansCorrelation().correlation(x, y);
    return Double.isNaN(rho) ? null : rho;
  }
}
