package org.lwise.stream.aggregator;

import java.util.ArrayList;
import java.util.List;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.RowState;

/**
 * Builds one output dirmap: every input column in its original order, then {@code orig_im_path},
 * {@code robust_gt_logit}, {@code difficulty}, {@code url}, then the other robust-model scores.
 * A column the input already has is filled in place instead of being added twice.
 *
 * <p>{@code im_path} becomes the output image's path (relative to the condition's folder) and
 * {@code orig_im_path} keeps the input path (an existing non-empty {@code orig_im_path} is kept).
 */
public final class DirmapTable {
  static final List<String> SCORE_COLUMNS = List.of("robust_gt_logit", "difficulty");
  static final List<String> EXTRA_SCORE_COLUMNS = List.of("robust_entropy", "robust_cross_entropy", "robust_predicted_class");

  /** Header and rows, cells as text ({@code null} = empty). */
  public record Table(List<String> header, List<List<String>> rows) {}

  /** The logit range difficulty is computed against. */
  public record LogitRange(double min, double max) {
    public static LogitRange of(List<RowState> rows) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (RowState row : rows) {
        if (row.getFailure() == null && row.getRobustGtLogit() != null) {
          min = Math.min(min, row.getRobustGtLogit());
          max = Math.max(max, row.getRobustGtLogit());
        }
      }
      return min <= max ? new LogitRange(min, max) : null;
    }

    /** SPEC.md: {@code 1 − (l − min) / (max − min)}; outside [0,1] for images outside the range. */
    public Double difficulty(double logit) {
      return max > min ? 1 - (logit - min) / (max - min) : null;
    }
  }

  private DirmapTable() {}

  /**
   * @param conditionId {@link Conditions#NATURAL} or one of the job's conditions
   * @param rows the job's rows in dirmap order (failed ones are skipped)
   * @param range min/max of robust_gt_logit: over this job, or the reference job for watch jobs
   */
  public static Table build(Job job, String conditionId, List<RowState> rows, LogitRange range) {
    List<String> header = new ArrayList<>(job.getColumns());
    List<String> added = new ArrayList<>();
    added.add("orig_im_path");
    if (job.getScore()) {
      added.addAll(SCORE_COLUMNS);
    }
    added.add("url");
    if (job.getScore()) {
      added.addAll(EXTRA_SCORE_COLUMNS);
    }
    for (String column : added) {
      if (!header.contains(column)) {
        header.add(column);
      }
    }
    Condition condition = job.getConditions().stream()
        .filter(c -> c.getId().equals(conditionId)).findFirst().orElse(null);
    int imPath = header.indexOf("im_path");
    List<List<String>> out = new ArrayList<>();
    for (RowState row : rows) {
      if (row.getFailure() != null || row.getValues() == null) {
        continue;
      }
      if (condition != null && row.getLabel() != null && !Conditions.appliesTo(condition, row.getLabel())) {
        continue;
      }
      List<String> cells = new ArrayList<>(row.getValues());
      while (cells.size() < header.size()) {
        cells.add(null);
      }
      String inputPath = row.getValues().get(imPath);
      String outputPath = row.getPaths().get(conditionId);
      if (outputPath != null) {
        cells.set(imPath, outputPath);
      }
      int orig = header.indexOf("orig_im_path");
      if (cells.get(orig) == null) {
        cells.set(orig, inputPath);
      }
      if (job.getScore() && row.getRobustGtLogit() != null) {
        cells.set(header.indexOf("robust_gt_logit"), number(row.getRobustGtLogit()));
        Double difficulty = range == null ? null : range.difficulty(row.getRobustGtLogit());
        cells.set(header.indexOf("difficulty"), difficulty == null ? null : number(difficulty));
        cells.set(header.indexOf("robust_entropy"), number(row.getRobustEntropy()));
        cells.set(header.indexOf("robust_cross_entropy"), number(row.getRobustCrossEntropy()));
        cells.set(header.indexOf("robust_predicted_class"), String.valueOf(row.getPredictedClass()));
      }
      cells.set(header.indexOf("url"), row.getUrls().get(conditionId));
      out.add(cells);
    }
    return new Table(List.copyOf(header), out);
  }

  /** Shortest text that reads back as the same double (like Python's repr). */
  static String number(Double value) {
    if (value == null) {
      return null;
    }
    return Double.toString(value);
  }
}
