package org.lwise.stream.common;

import org.lwise.stream.schema.DeadLetter;

/** Builds dead-letter records the same way in every stage. */
public final class DeadLetters {
  private DeadLetters() {}

  public static DeadLetter of(String stage, String reason, String recordKey, String jobId, Long rowIndex, String source) {
    return DeadLetter.newBuilder()
        .setStage(stage)
        .setReason(reason)
        .setRecordKey(recordKey)
        .setJobId(jobId)
        .setRowIndex(rowIndex)
        .setSource(source)
        .setAt(java.time.Instant.now())
        .build();
  }
}
