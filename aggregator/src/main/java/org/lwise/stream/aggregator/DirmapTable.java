package org.lwise.stream.aggregator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.HumanTally;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.RowState;

/**
 * Builds one output dirmap. Every input column keeps its name and position (the round trip SPEC.md
 * asks for); the pipeline's columns are added at the end: {@code orig_im_path} (the input image),
 * {@code output_im_path} (the written image, relative to the condition's folder), {@code
 * robust_gt_logit}, {@code difficulty}, {@code url}, then {@code robust_entropy}, {@code
 * robust_cross_entropy}, {@code robust_predicted_class}.
 *
 * <p>An input that already has one of these columns (a dataset scored before, like the published
 * L-WISE dirmaps) gets this run's values in it, where it is, because experiment code reads {@code
 * url} and {@code difficulty} by name; the input's values move to {@code <name>_input} at the end,
 * so nothing is lost. With the job's {@code keep_input_columns} the input's column stays as it was
 * and this run's is added as {@code <name>_lwise} (an input {@code orig_im_path} is simply kept).
 *
 * <p>Once participants have answered (the closed loop), {@code human_trials} and {@code
 * human_accuracy} follow at the very end: the answers to each image in this dirmap's condition. A
 * dirmap nobody has answered yet has no such columns, so published layouts stay as they are.
 */
public final class DirmapTable {
  static final List<String> SCORE_COLUMNS = List.of("robust_gt_logit", "difficulty");
  static final List<String> EXTRA_SCORE_COLUMNS =
      List.of("robust_entropy", "robust_cross_entropy", "robust_predicted_class");
  static final List<String> HUMAN_COLUMNS = List.of("human_trials", "human_accuracy");

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
   * @param range min/max of robust_gt_logit: over all scored rows of this job (whatever rows this
   *     condition leaves out), or of the reference job for watch jobs
   */
  public static Table build(Job job, String conditionId, List<RowState> rows, LogitRange range) {
    List<String> input = job.getColumns();
    boolean keepInput = job.getKeepInputColumns();
    List<String> added = new ArrayList<>();
    if (!keepInput || !input.contains("orig_im_path")) {
      added.add("orig_im_path");
    }
    added.add("output_im_path");
    if (job.getScore()) {
      added.addAll(SCORE_COLUMNS);
    }
    added.add("url");
    if (job.getScore()) {
      added.addAll(EXTRA_SCORE_COLUMNS);
    }
    List<String> header = new ArrayList<>(input);
    Map<String, Integer> column = new HashMap<>();
    for (String name : added) {
      if (!input.contains(name)) {
        column.put(name, header.size());
        header.add(name);
      } else if (keepInput) {
        column.put(name, header.size());
        header.add(unused(header, name + "_lwise"));
      } else {
        column.put(name, input.indexOf(name));
      }
    }
    // Input column -> where its values move, in the input's order.
    Map<Integer, Integer> moved = new LinkedHashMap<>();
    if (!keepInput) {
      for (int i = 0; i < input.size(); i++) {
        if (added.contains(input.get(i)) && column.get(input.get(i)) == i) {
          moved.put(i, header.size());
          header.add(unused(header, input.get(i) + "_input"));
        }
      }
    }
    boolean answered =
        rows.stream()
            .anyMatch(r -> r.getFailure() == null && r.getHuman().containsKey(conditionId));
    Map<String, Integer> humanColumn = new HashMap<>();
    if (answered) {
      for (String name : HUMAN_COLUMNS) {
        humanColumn.put(name, header.size());
        header.add(unused(header, name));
      }
    }
    Condition condition =
        job.getConditions().stream()
            .filter(c -> c.getId().equals(conditionId))
            .findFirst()
            .orElse(null);
    int imPath = input.indexOf("im_path");
    List<List<String>> out = new ArrayList<>();
    for (RowState row : rows) {
      if (row.getFailure() != null || row.getValues() == null) {
        continue;
      }
      if (condition != null
          && row.getLabel() != null
          && !Conditions.appliesTo(condition, row.getLabel())) {
        continue;
      }
      List<String> cells = new ArrayList<>(row.getValues());
      while (cells.size() < header.size()) {
        cells.add(null);
      }
      moved.forEach((from, to) -> cells.set(to, row.getValues().get(from)));
      if (column.containsKey("orig_im_path")) {
        cells.set(column.get("orig_im_path"), row.getValues().get(imPath));
      }
      cells.set(column.get("output_im_path"), row.getPaths().get(conditionId));
      if (job.getScore()) {
        Double logit = row.getRobustGtLogit();
        Double difficulty = logit == null || range == null ? null : range.difficulty(logit);
        cells.set(column.get("robust_gt_logit"), number(logit));
        cells.set(column.get("difficulty"), number(difficulty));
        cells.set(
            column.get("robust_entropy"), number(logit == null ? null : row.getRobustEntropy()));
        cells.set(
            column.get("robust_cross_entropy"),
            number(logit == null ? null : row.getRobustCrossEntropy()));
        cells.set(
            column.get("robust_predicted_class"),
            logit == null || row.getPredictedClass() == null
                ? null
                : String.valueOf(row.getPredictedClass()));
      }
      cells.set(column.get("url"), row.getUrls().get(conditionId));
      if (answered) {
        HumanTally tally = row.getHuman().get(conditionId);
        long trials = tally == null ? 0 : tally.getTrials();
        cells.set(humanColumn.get("human_trials"), String.valueOf(trials));
        cells.set(
            humanColumn.get("human_accuracy"),
            trials == 0 ? null : number((double) tally.getCorrect() / trials));
      }
      out.add(cells);
    }
    return new Table(List.copyOf(header), out);
  }

  /**
   * {@code name}, or {@code name_2}, {@code name_3}… when the header has it (an input written by an
   * earlier run).
   */
  private static String unused(List<String> header, String name) {
    String candidate = name;
    for (int n = 2; header.contains(candidate); n++) {
      candidate = name + "_" + n;
    }
    return candidate;
  }

  /** Shortest text that reads back as the same double (like Python's repr). */
  static String number(Double value) {
    if (value == null) {
      return null;
    }
    return Double.toString(value);
  }
}
