package org.lwise.stream.common;

import java.time.Duration;
import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a whole topic from the beginning to its current end without a consumer group (used to look
 * up submitted jobs and written dirmaps; both topics are small).
 */
public final class TopicReader {
  private static final Logger log = LoggerFactory.getLogger(TopicReader.class);

  private TopicReader() {}

  public static <K, V> void readAll(
      String bootstrapServers, Topic<K, V> topic, BiConsumer<K, V> sink) {
    try (KafkaConsumer<byte[], byte[]> consumer =
        KafkaClients.readCommittedConsumer(bootstrapServers, null, Map.of())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          readable(
                  record,
                  () ->
                      new AbstractMap.SimpleEntry<>(
                          topic.keySerde().deserializer().deserialize(topic.name(), record.key()),
                          record.value() == null
                              ? null
                              : topic
                                  .valueSerde()
                                  .deserializer()
                                  .deserialize(topic.name(), record.value())))
              .ifPresent(entry -> sink.accept(entry.getKey(), entry.getValue()));
        }
      }
    }
  }

  /**
   * What {@code read} makes of a record, or empty when the record can never be read (logged: a
   * reader of the topics must not fail on one corrupt record, the stages dead-letter such records).
   * A transient failure (the registry is away) is thrown: skipping would silently drop good
   * records.
   */
  public static <T> Optional<T> readable(ConsumerRecord<byte[], byte[]> record, Supplier<T> read) {
    try {
      return Optional.ofNullable(read.get());
    } catch (RuntimeException unreadable) {
      if (TransientFailures.isTransient(unreadable)) {
        throw unreadable;
      }
      log.warn(
          "Skipping unreadable record at {}-{}@{}: {}",
          record.topic(),
          record.partition(),
          record.offset(),
          unreadable.toString());
      return Optional.empty();
    }
  }

  /** The latest value of every key. */
  public static <K, V> Map<K, V> latest(String bootstrapServers, Topic<K, V> topic) {
    Map<K, V> latest = new LinkedHashMap<>();
    readAll(
        bootstrapServers,
        topic,
        (k, v) -> {
          if (v == null) {
            latest.remove(k);
          } else {
            latest.put(k, v);
          }
        });
    return latest;
  }
}
