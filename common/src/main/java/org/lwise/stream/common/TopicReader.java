package org.lwise.stream.common;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a whole topic from the beginning to its current end without a consumer group (used to
 * look up submitted jobs and written dirmaps; both topics are small).
 */
public final class TopicReader {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TopicReader.class);

  private TopicReader() {}

  public static <K, V> void readAll(String bootstrapServers, Topic<K, V> topic, BiConsumer<K, V> sink) {
    try (KafkaConsumer<byte[], byte[]> consumer =
        KafkaClients.readCommittedConsumer(bootstrapServers, null, Map.of())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition()))
          .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          K key;
          V value;
          try {
            key = topic.keySerde().deserializer().deserialize(topic.name(), record.key());
            value = record.value() == null ? null
                : topic.valueSerde().deserializer().deserialize(topic.name(), record.value());
          } catch (RuntimeException unreadable) {
            if (TransientFailures.isTransient(unreadable)) {
              throw unreadable; // the registry is away, the record is fine: the caller retries the lookup
            }
            // A lookup must not fail on one corrupt record; the stages dead-letter such records.
            log.warn("Skipping unreadable record at {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                unreadable.toString());
            continue;
          }
          sink.accept(key, value);
        }
      }
    }
  }

  /** The latest value of every key. */
  public static <K, V> Map<K, V> latest(String bootstrapServers, Topic<K, V> topic) {
    Map<K, V> latest = new LinkedHashMap<>();
    readAll(bootstrapServers, topic, (k, v) -> {
      if (v == null) {
        latest.remove(k);
      } else {
        latest.put(k, v);
      }
    });
    return latest;
  }
}
