package org.lwise.stream.ingest;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.PlainAvroSerdes;
import org.lwise.stream.common.Topic;
import org.lwise.stream.schema.ImageFormat;

/**
 * What ingest tests need: topics without a registry, a transactional MockProducer, and its records
 * read back.
 */
final class IngestRecords {
  static final PipelineTopics TOPICS = PipelineTopics.create(new PlainAvroSerdes());

  private IngestRecords() {}

  static MockProducer<byte[], byte[]> producer() {
    return new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static IngestConfig config(long missingFileTimeoutMs) {
    return IngestConfig.from(
        Map.of(
            "bootstrap.servers",
            "unused:9092",
            "registry.url",
            "http://unused",
            IngestConfig.WATCH_MISSING_FILE_TIMEOUT_MS,
            missingFileTimeoutMs));
  }

  static JobRequest request(Path dirmap, ImageFormat format, String referenceJobId) {
    return new JobRequest(
        dirmap, "clinic", "model", "class_num", true, List.of(), format, referenceJobId);
  }

  /** Keys of the committed records of a topic, in the order they were sent. */
  static List<String> keys(MockProducer<byte[], byte[]> producer, Topic<?, ?> topic) {
    return records(producer, topic).stream()
        .map(r -> new String(r.key(), StandardCharsets.UTF_8))
        .toList();
  }

  /** Values of the committed records of a topic, in the order they were sent. */
  static <V> List<V> values(MockProducer<byte[], byte[]> producer, Topic<String, V> topic) {
    return records(producer, topic).stream()
        .map(r -> topic.valueSerde().deserializer().deserialize(topic.name(), r.value()))
        .toList();
  }

  private static List<ProducerRecord<byte[], byte[]>> records(
      MockProducer<byte[], byte[]> producer, Topic<?, ?> topic) {
    return producer.history().stream().filter(r -> r.topic().equals(topic.name())).toList();
  }
}
