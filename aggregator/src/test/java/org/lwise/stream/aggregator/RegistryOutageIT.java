package org.lwise.stream.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.S3Layout;
import org.lwise.stream.common.TopicNames;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.JobEvent;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.RowState;
import org.lwise.stream.schema.Score;
import org.lwise.stream.schema.UploadResult;

/**
 * The aggregator reading through a schema registry outage, on the real registry (registry-server's
 * Apicurio jar as a child JVM, stopped and started again on its port with its database kept): a
 * job's records, written while the registry was up, arrive while it is down; the aggregator, whose
 * schema caches are cold, waits for it (RetryingValueSerdes) and completes the job once it is back,
 * rather than dead-lettering the records or stopping.
 */
class RegistryOutageIT {
  /**
   * Longer than the outage here (a few seconds plus a registry start), far shorter than
   * production's 10 min.
   */
  static final Duration RETRY_TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path out;
  @TempDir Path registryData;
  RegistryServer registry;
  TopologyTestDriver driver;

  @AfterEach
  void stop() {
    if (driver != null) {
      driver.close();
    }
    if (registry != null) {
      registry.stop();
    }
  }

  @Test
  void shouldWaitForTheRegistryInsteadOfDeadLetteringRecordsWhoseSchemaItHasNotCached()
      throws Exception {
    registry = RegistryServer.start(registryJar(), registryData, freePort());
    // What the producers wrote while the registry was up (registering the schemas).
    RegistrySerdes producers = new RegistrySerdes(registry.url());
    byte[] job = producers.value(Job.class).serializer().serialize(TopicNames.JOBS, job());
    byte[] score = producers.value(Score.class).serializer().serialize(TopicNames.SCORES, score());
    byte[] upload =
        producers.value(UploadResult.class).serializer().serialize(TopicNames.UPLOADS, upload());

    // The aggregator as AggregatorApp builds it, with fresh serdes: no schema cached.
    RetryingValueSerdes serdes =
        new RetryingValueSerdes(
            new RegistrySerdes(registry.url()), new InfrastructureRetry(RETRY_TIMEOUT));
    PipelineTopics topics = PipelineTopics.create(serdes);
    S3Layout layout =
        new S3Layout(S3Layout.Mode.BUCKET_PER_CONDITION, "lab", "", S3Layout.AWS_URL_TEMPLATE);
    var topology =
        AggregatorTopology.build(
            topics,
            new AggregatorTopology.InternalSerdes(
                serdes.value(JobEvent.class),
                serdes.value(RowState.class),
                serdes.value(JobProgress.class)),
            new DirmapSink(out, null, layout, false, null),
            Duration.ofSeconds(5));
    driver =
        new TopologyTestDriver(
            topology,
            AggregatorConfig.from(
                    Map.of(
                        "bootstrap.servers",
                        "unused:9092",
                        "registry.url",
                        registry.url(),
                        AggregatorConfig.OUTPUT_DIR,
                        out.toString()))
                .streamsProperties());

    registry.stop();
    long outageStart = System.nanoTime();
    CompletableFuture<Void> consumed =
        CompletableFuture.runAsync(
            () -> {
              raw(TopicNames.JOBS).pipeInput(bytes("j1"), job);
              raw(TopicNames.SCORES).pipeInput(bytes(RecordKeys.row("j1", 0)), score);
              raw(TopicNames.UPLOADS)
                  .pipeInput(bytes(RecordKeys.output("j1", Conditions.NATURAL, 0)), upload);
            });
    Thread.sleep(3_000);
    assertThat(consumed).as("the stream thread waits for the registry").isNotDone();
    registry.start();
    Duration outage = Duration.ofNanos(System.nanoTime() - outageStart);

    consumed.get(RETRY_TIMEOUT.toSeconds(), TimeUnit.SECONDS); // a failed topology throws here
    Map<String, DirmapWritten> written =
        driver
            .createOutputTopic(
                topics.dirmaps().name(),
                Serdes.String().deserializer(),
                topics.dirmaps().valueSerde().deserializer())
            .readKeyValuesToMap();
    assertThat(written)
        .as("job complete after a %s s outage", outage.toSeconds())
        .containsOnlyKeys("j1/natural");
    assertThat(written.get("j1/natural").getRows()).isEqualTo(1);
    assertThat(written.get("j1/natural").getFailed()).as("no record was dead-lettered").isZero();
    JobProgress progress =
        driver.<String, JobProgress>getKeyValueStore(AggregatorTopology.JOBS_STORE).get("j1");
    assertThat(progress.getCompleted()).isEqualTo(1);
    assertThat(progress.getFailed()).isZero();
  }

  private TestInputTopic<byte[], byte[]> raw(String topic) {
    return driver.createInputTopic(
        topic, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
  }

  private static byte[] bytes(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }

  private static Job job() {
    return Job.newBuilder()
        .setJobId("j1")
        .setDataset("ham")
        .setModelId("m")
        .setLabelColumn("class_num")
        .setColumns(AggregatorTopologyTest.HEADER)
        .setScore(true)
        .setConditions(List.of())
        .setClassesPresent(List.of(1))
        .setOutputFormat(ImageFormat.PNG)
        .setRowCount(1)
        .setCreatedAt(Instant.EPOCH)
        .build();
  }

  private static Score score() {
    return Score.newBuilder()
        .setJobId("j1")
        .setRowIndex(0)
        .setValues(Arrays.asList("0", "train", "nv", "1", "images/0.jpg", "40.0", "0.5"))
        .setImPath("images/0.jpg")
        .setLabel(1)
        .setModelId("m")
        .setRobustGtLogit(2.0)
        .setRobustEntropy(0.1)
        .setRobustCrossEntropy(0.2)
        .setPredictedClass(1)
        .build();
  }

  private static UploadResult upload() {
    return UploadResult.newBuilder()
        .setJobId("j1")
        .setRowIndex(0)
        .setConditionId(Conditions.NATURAL)
        .setBucket("lab-ham-natural")
        .setKey("images/0.png")
        .setImPath("images/0.png")
        .setUrl("https://lab-ham-natural.s3.amazonaws.com/images/0.png")
        .setSha256("x")
        .build();
  }

  /** The jar registry-server builds; its module comes before this one in the reactor. */
  private static Path registryJar() {
    Path jar =
        Path.of(
            System.getProperty(
                "lwise.registry.jar",
                "../registry-server/target/lwise-registry-server-runner.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "registry server jar not found at "
              + jar.toAbsolutePath()
              + "; build it with: mvn -B -o -q package -pl registry-server -DskipTests");
    }
    return jar;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /**
   * The real registry as a child JVM, as the launcher's EmbeddedRegistry runs it (this module does
   * not depend on the launcher): a database file under {@code dataDir}, so schema ids survive a
   * restart.
   */
  static final class RegistryServer {
    private final Path jar;
    private final Path dataDir;
    private final int port;
    private Process process;

    private RegistryServer(Path jar, Path dataDir, int port) {
      this.jar = jar;
      this.dataDir = dataDir;
      this.port = port;
    }

    static RegistryServer start(Path jar, Path dataDir, int port) throws Exception {
      RegistryServer server = new RegistryServer(jar, dataDir, port);
      server.start();
      return server;
    }

    String url() {
      return "http://127.0.0.1:" + port + "/apis/registry/v2";
    }

    void start() throws Exception {
      ProcessBuilder builder =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-XX:TieredStopAtLevel=1",
                  "-XX:+UseSerialGC",
                  "-Xmx256m",
                  "-jar",
                  jar.toString())
              .redirectErrorStream(true)
              .redirectOutput(
                  ProcessBuilder.Redirect.appendTo(dataDir.resolve("registry.log").toFile()));
      builder.environment().put("HTTP_HOST", "127.0.0.1");
      builder.environment().put("HTTP_PORT", String.valueOf(port));
      builder
          .environment()
          .put(
              "REGISTRY_DATASOURCE_URL",
              "jdbc:h2:file:"
                  + dataDir.toAbsolutePath().resolve("registry_db")
                  + ";DB_CLOSE_ON_EXIT=FALSE");
      // Ends the registry if this JVM dies without stopping it (registry-server's ParentWatch).
      builder.environment().put("LWISE_PARENT_PID", String.valueOf(ProcessHandle.current().pid()));
      process = builder.start();
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      HttpRequest probe =
          HttpRequest.newBuilder(URI.create(url() + "/system/info"))
              .timeout(Duration.ofSeconds(2))
              .build();
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "the registry exited; see " + dataDir.resolve("registry.log"));
        }
        try {
          if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            return;
          }
        } catch (IOException notYet) {
          // not listening yet
        }
        Thread.sleep(100);
      }
      stop();
      throw new IllegalStateException(
          "the registry did not answer within 90 s; see " + dataDir.resolve("registry.log"));
    }

    /** SIGTERM, so the database is closed cleanly and the next start finds the schemas. */
    void stop() {
      if (process == null) {
        return;
      }
      process.destroy();
      try {
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }
}
