package org.lwise.stream.common;

import java.nio.charset.StandardCharsets;

/**
 * Record keys. Row indexes are zero-padded so that a state store's byte-ordered range scan over one
 * job returns its rows in dirmap order.
 */
public final class RecordKeys {
  private RecordKeys() {}

  public static String row(String jobId, long rowIndex) {
    return rowPrefix(jobId) + String.format("%012d", rowIndex);
  }

  /** What every row key of the job starts with; the row index follows it. */
  public static String rowPrefix(String jobId) {
    return jobId + "/";
  }

  public static String output(String jobId, String conditionId, long rowIndex) {
    return jobId + "/" + conditionId + "/" + String.format("%012d", rowIndex);
  }

  public static String dirmap(String jobId, String conditionId) {
    return jobId + "/" + conditionId;
  }

  /**
   * The key that groups a job's events on one aggregator task. A watch job's id is {@code
   * <reference job id>~watch-...}, so it lands beside its reference job, whose logit range scores
   * it.
   */
  public static String jobGroup(String jobId) {
    int tilde = jobId.indexOf('~');
    return tilde < 0 ? jobId : jobId.substring(0, tilde);
  }

  public static String watchJobId(String referenceJobId, String suffix) {
    return referenceJobId + "~watch-" + suffix;
  }

  /**
   * The job and row a record key names ({@code <job>/<row>} or {@code <job>/<condition>/<row>}), so
   * a record whose value cannot be read is still attributed. Null when the key names no job.
   */
  public static Attribution parse(byte[] key) {
    if (key == null || key.length == 0) {
      return null;
    }
    String text = new String(key, StandardCharsets.UTF_8);
    int first = text.indexOf('/');
    if (first <= 0) {
      return null;
    }
    String jobId = text.substring(0, first);
    String last = text.substring(text.lastIndexOf('/') + 1);
    Long row = last.matches("\\d{1,18}") ? Long.parseLong(last) : null;
    return new Attribution(text, jobId, row);
  }

  /** A record key read back: the key itself, its job and, when it names one, its row. */
  public record Attribution(String key, String jobId, Long rowIndex) {}

  /** First and last possible row keys of a job, for range scans. */
  public static String firstRow(String jobId) {
    return row(jobId, 0);
  }

  public static String lastRow(String jobId) {
    return row(jobId, 999_999_999_999L);
  }
}
