package org.lwise.stream.common;

import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Sends to any typed {@link Topic} through one byte-level producer, so that a stage writing to
 * several topics does it in one Kafka transaction.
 */
public final class TopicProducer {
  private final Producer<byte[], byte[]> producer;

  public TopicProducer(Producer<byte[], byte[]> producer) {
    this.producer = producer;
  }

  public <K, V> Future<RecordMetadata> send(Topic<K, V> topic, K key, V value) {
    byte[] k = topic.keySerde().serializer().serialize(topic.name(), key);
    byte[] v = topic.valueSerde().serializer().serialize(topic.name(), value);
    return producer.send(new ProducerRecord<>(topic.name(), k, v));
  }

  public Producer<byte[], byte[]> producer() {
    return producer;
  }
}
