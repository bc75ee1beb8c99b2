package org.lwise.stream.common;

import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Consume → process → produce, exactly once: a batch's outputs and the offsets it consumed commit
 * in one Kafka transaction, or nothing of it is visible.
 */
public final class TransactionalBatch {
  /**
   * Commit calls (each blocking up to max.block.ms, 60 s) before a timed-out commit is given up.
   */
  private static final int COMMIT_ATTEMPTS = 10;

  private TransactionalBatch() {}

  /**
   * Sends what {@code body} sends and the consumed offsets in one transaction. Any failure aborts
   * it and is rethrown: for a stage that is fatal (fenced, broker gone), and the group hands its
   * partitions to another member, which re-processes the batch.
   */
  public static void commit(
      Producer<byte[], byte[]> producer,
      Map<TopicPartition, OffsetAndMetadata> offsets,
      ConsumerGroupMetadata group,
      Consumer<TopicProducer> body) {
    producer.beginTransaction();
    try {
      body.accept(new TopicProducer(producer));
      producer.sendOffsetsToTransaction(offsets, group);
    } catch (RuntimeException e) {
      abort(producer, e);
      throw e;
    }
    for (int attempt = 1; ; attempt++) {
      try {
        producer.commitTransaction();
        return;
      } catch (TimeoutException e) {
        // A commit that timed out (broker away for longer than max.block.ms) must be retried as the
        // same call; the producer refuses an abort or a new transaction until it has completed.
        if (attempt >= COMMIT_ATTEMPTS) {
          throw e;
        }
      } catch (RuntimeException e) {
        abort(producer, e);
        throw e;
      }
    }
  }

  private static void abort(Producer<byte[], byte[]> producer, RuntimeException cause) {
    try {
      producer.abortTransaction();
    } catch (RuntimeException abortFailure) {
      cause.addSuppressed(abortFailure);
    }
  }
}
