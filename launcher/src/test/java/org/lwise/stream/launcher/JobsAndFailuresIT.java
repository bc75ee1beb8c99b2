package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.Topic;
import org.lwise.stream.common.TopicSetup;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.Job;

/**
 * What an operator sees of jobs from the topics alone (no stage running): {@code lwise jobs} lists
 * a finished and a running job with their rows, {@code lwise status} groups a job's failure
 * reasons.
 */
class JobsAndFailuresIT {
  @TempDir static Path tmp;
  static EmbeddedInfrastructure infra;
  static PipelineTopics topics;

  @BeforeAll
  static void publishTwoJobs() {
    infra = EmbeddedInfrastructure.start(tmp.resolve("out"), Launcher.registryJar());
    String bootstrap = infra.kafka().bootstrapServers();
    TopicSetup.ensureTopics(bootstrap, 2);
    topics = PipelineTopics.create(new RegistrySerdes(infra.connection().get("registry.url")));
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", bootstrap),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      send(
          producer,
          topics.jobs(),
          "job-done",
          job("job-done", "shoes", 5, Instant.parse("2026-01-02T10:00:00Z")));
      send(
          producer,
          topics.jobs(),
          "job-busy",
          job("job-busy", "shirts", 10, Instant.parse("2026-01-02T11:00:00Z")));
      for (long row : List.of(1L, 3L)) {
        send(
            producer,
            topics.deadLetters(),
            RecordKeys.row("job-done", row),
            DeadLetters.of(
                "gpu-worker",
                "row " + row + " (img" + row + ".png): image cannot be decoded: not a PNG",
                RecordKeys.row("job-done", row),
                "job-done",
                row,
                "img" + row + ".png"));
      }
      send(
          producer,
          topics.deadLetters(),
          RecordKeys.row("job-done", 4),
          DeadLetters.of(
              "ingest",
              "row 4 (line 6): image file missing: img4.png",
              RecordKeys.row("job-done", 4),
              "job-done",
              4L,
              "dirmap.csv:6"));
      send(
          producer,
          topics.dirmaps(),
          RecordKeys.dirmap("job-done", Conditions.NATURAL),
          DirmapWritten.newBuilder()
              .setJobId("job-done")
              .setConditionId(Conditions.NATURAL)
              .setRows(2)
              .setFailed(3)
              .setCsvPath("/out/shoes_natural/shoes_natural_dirmap.csv")
              .setJsonPath("/out/shoes.json")
              .setCsvUrl("")
              .setJsonUrl("")
              .setComplete(true)
              .setDataset("shoes")
              .build());
      for (long row : List.of(0L, 1L, 2L)) {
        producer.send(
            new ProducerRecord<>(
                topics.scores().name(),
                topics
                    .scores()
                    .keySerde()
                    .serializer()
                    .serialize(topics.scores().name(), RecordKeys.row("job-busy", row)),
                new byte[] {0}));
      }
      send(
          producer,
          topics.deadLetters(),
          RecordKeys.row("job-busy", 7),
          DeadLetters.of(
              "uploader",
              "cannot upload a/7.png (natural): InvalidObjectName",
              RecordKeys.row("job-busy", 7),
              "job-busy",
              7L,
              "a/7.png"));
    }
  }

  @AfterAll
  static void stopServers() {
    if (infra != null) {
      infra.close();
    }
  }

  @Test
  void shouldListEveryJobWithItsStateAndRows() {
    CommandRun jobs = CommandRun.lwise("jobs", "--config", infra.connectionFile().toString());
    System.out.print(jobs.output());
    assertThat(jobs.code()).as(jobs.errors()).isZero();
    List<String> lines = jobs.output().lines().toList();
    assertThat(lines.get(0))
        .startsWith("JOB")
        .contains("DATASET", "MODEL", "STATE", "DONE", "FAILED", "STARTED", "FINISHED");
    assertThat(lines.get(1).split("\\s+"))
        .startsWith("job-done", "shoes", "fashion-cnn", "finished", "2", "3");
    assertThat(lines.get(2).split("\\s+"))
        .startsWith("job-busy", "shirts", "fashion-cnn", "running", "3", "1");
    assertThat(lines.get(2)).endsWith("-");
  }

  @Test
  void shouldGroupTheFailureReasonsOfAJobWithCountsAndFirstRows() {
    CommandRun status =
        CommandRun.lwise("status", "job-done", "--config", infra.connectionFile().toString());
    System.out.print(status.output());
    assertThat(status.code()).as(status.errors()).isEqualTo(2);
    assertThat(status.output())
        .contains(
            "Failures: 3 (dead letters on topic lwise.dead-letters), by reason:",
            "      2  [gpu-worker] image cannot be decoded; rows 1, 3",
            "         e.g. row 1 (img1.png): image cannot be decoded: not a PNG",
            "      1  [ingest] image file missing; rows 4");
  }

  private static Job job(String id, String dataset, long rows, Instant created) {
    return Job.newBuilder()
        .setJobId(id)
        .setDataset(dataset)
        .setModelId("fashion-cnn")
        .setLabelColumn("class_num")
        .setColumns(List.of("im_path", "class_num"))
        .setScore(true)
        .setConditions(List.of())
        .setRowCount(rows)
        .setCreatedAt(created)
        .build();
  }

  private static <V> void send(
      KafkaProducer<byte[], byte[]> producer, Topic<String, V> topic, String key, V value) {
    producer.send(
        new ProducerRecord<>(
            topic.name(),
            topic.keySerde().serializer().serialize(topic.name(), key),
            topic.valueSerde().serializer().serialize(topic.name(), value)));
  }
}
