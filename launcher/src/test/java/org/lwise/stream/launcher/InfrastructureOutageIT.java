package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Writer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.TopicProducer;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.common.TopicSetup;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.Job;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The embedded servers go down and come back with their data, and the client commands ({@code
 * submit --wait}, {@code status}) wait through a broker restart; a server that stays away is named
 * in one line. No stage runs here: the aggregator's announcements are written by the test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InfrastructureOutageIT {
  /**
   * Longer than a client's 30 s metadata timeout: without retries the commands would give up
   * meanwhile.
   */
  private static final Duration OUTAGE = Duration.ofSeconds(35);

  @TempDir static Path tmp;
  static EmbeddedInfrastructure infra;
  static Path config;
  static String jobId;

  @BeforeAll
  static void startServers() throws Exception {
    infra = EmbeddedInfrastructure.start(tmp.resolve("out"), Launcher.registryJar());
    TopicSetup.ensureTopics(infra.kafka().bootstrapServers(), 2);
    config = settings(Map.of());
  }

  @AfterAll
  static void stopServers() {
    if (infra != null) {
      infra.close();
    }
  }

  /** The embedded servers' connection file plus {@code extra}, as an operator's --config. */
  static Path settings(Map<String, String> extra) throws Exception {
    Properties props = new Properties();
    props.putAll(infra.connection());
    props.putAll(extra);
    Path file = Files.createTempFile(tmp, "lwise", ".properties");
    try (Writer writer = Files.newBufferedWriter(file)) {
      props.store(writer, null);
    }
    return file;
  }

  @Test
  @Order(1)
  void shouldKeepSchemasRecordsAndObjectsAcrossRestarts() throws Exception {
    PipelineTopics topics = PipelineTopics.create(new RegistrySerdes(infra.registry().url()));
    DirmapWritten announced = dirmap("restart-check", Conditions.NATURAL, 0);
    byte[] serialized =
        topics.dirmaps().valueSerde().serializer().serialize(topics.dirmaps().name(), announced);
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      new TopicProducer(producer).send(topics.dirmaps(), "restart-check/natural", announced).get();
    }
    try (S3Client s3 = s3()) {
      s3.createBucket(b -> b.bucket("restart-check"));
      s3.putObject(b -> b.bucket("restart-check").key("a/b.txt"), RequestBody.fromString("kept"));
    }

    infra.s3().stop();
    infra.registry().stop();
    infra.kafka().stop();
    infra.kafka().start();
    infra.registry().start();
    infra.s3().start();

    // A fresh deserializer asks the restarted registry for the schema id written before the
    // restart.
    PipelineTopics fresh = PipelineTopics.create(new RegistrySerdes(infra.registry().url()));
    assertThat(
            fresh
                .dirmaps()
                .valueSerde()
                .deserializer()
                .deserialize(fresh.dirmaps().name(), serialized))
        .isEqualTo(announced);
    assertThat(TopicReader.latest(infra.kafka().bootstrapServers(), fresh.dirmaps()))
        .containsEntry("restart-check/natural", announced);
    try (S3Client s3 = s3()) {
      assertThat(s3.getObjectAsBytes(b -> b.bucket("restart-check").key("a/b.txt")).asUtf8String())
          .isEqualTo("kept");
    }
  }

  @Test
  @Order(2)
  void shouldWaitForDirmapsThroughABrokerRestart() throws Exception {
    CompletableFuture<CommandRun> submit =
        CompletableFuture.supplyAsync(
            () ->
                CommandRun.lwise(
                    "submit",
                    "--config",
                    config.toString(),
                    "--dirmap",
                    TestDataset.create(tmp).toString(),
                    "--model",
                    "../demo/models/fashion-cnn-standard",
                    "--dataset",
                    "fmnist-outage",
                    "--eps",
                    "1",
                    "--wait",
                    "--timeout-minutes",
                    "5"));
    Job job = awaitJob("fmnist-outage", submit);

    long stopped = System.nanoTime();
    infra.kafka().stop();
    Thread.sleep(OUTAGE.toMillis());
    assertThat(submit)
        .as("submit --wait must still be waiting while the broker is down")
        .isNotDone();
    infra.kafka().start();
    System.out.printf("broker down for %.1f s%n", (System.nanoTime() - stopped) / 1e9);

    // What the aggregator would announce once the job is done.
    PipelineTopics topics = PipelineTopics.create(new RegistrySerdes(infra.registry().url()));
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      TopicProducer out = new TopicProducer(producer);
      out.send(
              topics.dirmaps(),
              jobId + "/" + Conditions.NATURAL,
              dirmap(jobId, Conditions.NATURAL, 0))
          .get();
      for (var condition : job.getConditions()) {
        out.send(
                topics.dirmaps(),
                jobId + "/" + condition.getId(),
                dirmap(jobId, condition.getId(), 0))
            .get();
      }
    }
    CommandRun done = submit.get(3, TimeUnit.MINUTES);
    assertThat(done.code()).as(done.errors() + done.output()).isZero();
    assertThat(done.output())
        .contains("fmnist-outage_natural_dirmap.csv")
        .contains("1_0.5_2_logit");
  }

  @Test
  @Order(3)
  void shouldReportStatusThroughABrokerRestart() throws Exception {
    infra.kafka().stop();
    long stopped = System.nanoTime();
    CompletableFuture<CommandRun> status =
        CompletableFuture.supplyAsync(
            () -> CommandRun.lwise("status", "--config", config.toString(), jobId));
    Thread.sleep(OUTAGE.toMillis());
    assertThat(status).as("status must still be waiting while the broker is down").isNotDone();
    infra.kafka().start();
    CommandRun done = status.get(3, TimeUnit.MINUTES);
    System.out.printf(
        "status answered %.1f s after the broker went down%n", (System.nanoTime() - stopped) / 1e9);
    assertThat(done.code()).as(done.errors() + done.output()).isZero();
    assertThat(done.output()).contains("Job " + jobId).contains("dirmaps written: 2 of 2");
  }

  @Test
  @Order(4)
  void shouldNameAnUnreachableRegistryInOneLine() throws Exception {
    infra.registry().stop();
    try {
      CommandRun status =
          CommandRun.lwise(
              "status", "--config", settings(Map.of("retry.timeout.ms", "3000")).toString(), jobId);
      System.out.println("registry stopped, status printed: " + status.errors().strip());
      assertThat(status.code()).isEqualTo(1);
      assertThat(status.errors().lines())
          .as(status.errors())
          .singleElement()
          .asString()
          .startsWith(
              "lwise: Schema registry at "
                  + infra.registry().url()
                  + " (registry.url) unreachable for ");
    } finally {
      infra.registry().start();
    }
  }

  @Test
  @Order(5)
  void shouldNameAnUnreachableBrokerInOneLine() throws Exception {
    infra.kafka().stop();
    try {
      long started = System.nanoTime();
      CommandRun status =
          CommandRun.lwise(
              "status", "--config", settings(Map.of("retry.timeout.ms", "3000")).toString(), jobId);
      System.out.printf(
          "status gave up %.1f s after it started (retry.timeout.ms = 3000)%n",
          (System.nanoTime() - started) / 1e9);
      System.out.println("broker stopped, status printed: " + status.errors().strip());
      assertThat(status.code()).isEqualTo(1);
      assertThat(status.errors().lines())
          .as(status.errors())
          .singleElement()
          .asString()
          .startsWith(
              "lwise: Kafka at "
                  + infra.kafka().bootstrapServers()
                  + " (bootstrap.servers) unreachable for ");
    } finally {
      infra.kafka().start();
    }
  }

  /** Waits until the submitted job is on the jobs topic, i.e. submit has moved on to waiting. */
  private static Job awaitJob(String dataset, CompletableFuture<CommandRun> submit)
      throws Exception {
    PipelineTopics topics = PipelineTopics.create(new RegistrySerdes(infra.registry().url()));
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      if (submit.isDone()) {
        throw new IllegalStateException("submit ended early: " + submit.get());
      }
      for (var entry :
          TopicReader.latest(infra.kafka().bootstrapServers(), topics.jobs()).entrySet()) {
        if (entry.getValue().getDataset().equals(dataset)) {
          jobId = entry.getKey();
          Thread.sleep(2000); // past the tally's set-up: the outage hits the waiting loop
          return entry.getValue();
        }
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("job of " + dataset + " not published");
  }

  private static DirmapWritten dirmap(String job, String condition, long failed) {
    String csv =
        "out/" + "fmnist-outage_" + condition + "/fmnist-outage_" + condition + "_dirmap.csv";
    return new DirmapWritten(
        job,
        condition,
        25L,
        failed,
        csv,
        csv.replace(".csv", ".json"),
        "",
        "",
        true,
        "fmnist-outage");
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            infra.kafka().bootstrapServers(),
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            ByteArraySerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            ByteArraySerializer.class));
  }

  private static S3Client s3() {
    return S3Client.builder()
        .endpointOverride(URI.create(infra.s3Endpoint()))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .build();
  }
}
