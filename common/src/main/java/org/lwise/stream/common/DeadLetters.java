package org.lwise.stream.common;

import java.time.Instant;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.lwise.stream.schema.DeadLetter;

/** Builds dead-letter records the same way in every stage. */
public final class DeadLetters {
  private static final Pattern ROW_PREFIX = Pattern.compile("^row \\d+ \\([^)]*\\): ");
  private static final Pattern DIGITS = Pattern.compile("\\d+");

  /**
   * A file name or path inside a reason: one class per file would be one metric series per file.
   */
  private static final Pattern PATH_WORD =
      Pattern.compile("\\s*\\S*([/\\\\]\\S*|\\.[A-Za-z0-9]{2,5})(?=\\s|$)");

  private DeadLetters() {}

  /**
   * The class of a dead letter's free-text reason, for grouping and as a bounded metrics label:
   * without the row and path prefix, up to the first detail (colon or parenthesis), file names
   * dropped, numbers folded, e.g. {@code unreadable image record at lwise.images-#@#}.
   */
  public static String reasonClass(String reason) {
    if (reason == null || reason.isBlank()) {
      return "unknown";
    }
    String text = ROW_PREFIX.matcher(reason).replaceFirst("");
    int end = text.length();
    for (char stop : new char[] {':', '(', '\n'}) {
      int at = text.indexOf(stop);
      if (at > 0) {
        end = Math.min(end, at);
      }
    }
    String words = PATH_WORD.matcher(text.substring(0, end)).replaceAll("");
    String label = DIGITS.matcher(words.trim().toLowerCase(Locale.ROOT)).replaceAll("#");
    return label.length() > 60 ? label.substring(0, 60) : label;
  }

  /**
   * A consumed record whose value will never be readable (corrupt bytes, foreign schema, empty). It
   * is attributed to the job and row its key names, when it names them, so that job still
   * completes.
   */
  public static DeadLetter unreadable(
      String stage, String what, ConsumerRecord<byte[], byte[]> record, Throwable cause) {
    String source = record.topic() + "-" + record.partition() + "@" + record.offset();
    String reason = "unreadable " + what + " at " + source + ": " + cause;
    RecordKeys.Attribution owner = RecordKeys.parse(record.key());
    return owner == null
        ? of(stage, reason, null, null, null, source)
        : of(stage, reason, owner.key(), owner.jobId(), owner.rowIndex(), source);
  }

  public static DeadLetter of(
      String stage, String reason, String recordKey, String jobId, Long rowIndex, String source) {
    return DeadLetter.newBuilder()
        .setStage(stage)
        .setReason(reason)
        .setRecordKey(recordKey)
        .setJobId(jobId)
        .setRowIndex(rowIndex)
        .setSource(source)
        .setAt(Instant.now())
        .build();
  }
}
