package org.lwise.stream.common;

import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.lwise.stream.schema.DeadLetter;

/** Builds dead-letter records the same way in every stage. */
public final class DeadLetters {
  private DeadLetters() {}

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
