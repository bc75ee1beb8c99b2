package org.lwise.stream.common;

import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;

/**
 * Consume → process → produce, exactly once: a batch's outputs and the offsets it consumed commit
 * in one Kafka transaction, or nothing of it is visible.
 */
public final class TransactionalBatch {
  private TransactionalBatch() {}

  /**
   * Sends what {@code body} sends and the consumed offsets in one transaction. Any failure aborts
   * it and is rethrown: for a stage that is fatal (fenced, broker gone), and the group hands its
   * partitions to another member, which re-processes the batch.
   */
  public static void commit(Producer<byte[], byte[]> producer, Map<TopicPartition, OffsetAndMetadata> offsets,
      ConsumerGroupMetadata group, Consumer<TopicProducer> body) {
    producer.beginTransaction();
    try {
      body.accept(new TopicProducer(producer));
      producer.sendOffsetsToTransaction(offsets, group);
      producer.commitTransaction();
    } catch (RuntimeException e) {
      try {
        producer.abortTransaction();
      } catch (RuntimeException abortFailure) {
        e.addSuppressed(abortFailure);
      }
      throw e;
    }
  }
}
