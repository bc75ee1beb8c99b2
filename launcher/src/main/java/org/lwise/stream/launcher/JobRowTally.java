package org.lwise.stream.launcher;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.lwise.stream.common.KafkaClients;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.common.TransientFailures;

/**
 * Progress of one job as seen from outside the pipeline (for {@code submit --wait}): follows the
 * scores and dead-letters topics and counts the job's rows that were scored or failed. A client of
 * the topics, not of the aggregator, so it works whichever aggregator instance holds the job.
 */
final class JobRowTally implements AutoCloseable {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(JobRowTally.class);

  private final PipelineTopics topics;
  private final String jobId;
  private final String rowKeyPrefix;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Set<Long> accounted = new HashSet<>();
  private final Set<Long> failed = new HashSet<>();

  JobRowTally(String bootstrapServers, PipelineTopics topics, String jobId) {
    this.topics = topics;
    this.jobId = jobId;
    this.rowKeyPrefix = RecordKeys.rowPrefix(jobId);
    this.consumer = KafkaClients.readCommittedConsumer(bootstrapServers, null, Map.of());
    List<TopicPartition> partitions =
        Stream.of(topics.scores().name(), topics.deadLetters().name())
            .flatMap(topic -> consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream())
            .map(p -> new TopicPartition(p.topic(), p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /**
   * Reads what has arrived, waiting at most {@code timeout} for it. A record that cannot be read
   * because the registry is away is read again on the next poll (the error is thrown, for the
   * caller's retry): the consumer is put back to it, and to the first record of every partition
   * this poll had not reached yet.
   */
  void poll(Duration timeout) {
    ConsumerRecords<byte[], byte[]> records = consumer.poll(timeout);
    List<TopicPartition> partitions = List.copyOf(records.partitions());
    for (int p = 0; p < partitions.size(); p++) {
      for (ConsumerRecord<byte[], byte[]> record : records.records(partitions.get(p))) {
        try {
          count(record);
        } catch (RuntimeException e) {
          if (!TransientFailures.isTransient(e)) {
            throw e;
          }
          consumer.seek(partitions.get(p), record.offset());
          partitions
              .subList(p + 1, partitions.size())
              .forEach(later -> consumer.seek(later, records.records(later).get(0).offset()));
          throw e;
        }
      }
    }
  }

  private void count(ConsumerRecord<byte[], byte[]> record) {
    if (record.topic().equals(topics.scores().name())) {
      String key =
          topics.scores().keySerde().deserializer().deserialize(record.topic(), record.key());
      if (key != null && key.startsWith(rowKeyPrefix)) {
        accounted.add(Long.parseLong(key.substring(rowKeyPrefix.length())));
      }
      return;
    }
    // An outage is thrown (the record is read again later); a corrupt record is skipped.
    TopicReader.readable(
            record,
            () ->
                topics
                    .deadLetters()
                    .valueSerde()
                    .deserializer()
                    .deserialize(record.topic(), record.value()))
        .filter(dead -> jobId.equals(dead.getJobId()) && dead.getRowIndex() != null)
        .ifPresent(
            dead -> {
              failed.add(dead.getRowIndex());
              accounted.add(dead.getRowIndex());
            });
  }

  /** Reads everything committed on both topics up to now. */
  void catchUp() {
    Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
    while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
      poll(Duration.ofMillis(200));
    }
  }

  /** Rows scored or failed so far. */
  long accounted() {
    return accounted.size();
  }

  /** Rows dead-lettered so far (a row scored and then refused by S3 counts here too). */
  long failed() {
    return failed.size();
  }

  @Override
  public void close() {
    consumer.close();
  }
}
