package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lwise.stream.common.TopicSetup;

/**
 * Each stage as its own process, started the way an operator starts it ({@code lwise
 * worker|uploader|aggregator --config …}): once it consumes it prints its ready line and answers on
 * its metrics port (metrics, liveness, readiness), and SIGTERM (what Ctrl-C, systemd and Docker
 * send) ends it within 10 s.
 */
class StageShutdownIT {
  private static final Duration STOP_LIMIT = Duration.ofSeconds(10);

  @TempDir static Path tmp;
  static EmbeddedInfrastructure infra;

  @BeforeAll
  static void startServers() {
    infra = EmbeddedInfrastructure.start(tmp.resolve("out"), Launcher.registryJar());
    TopicSetup.ensureTopics(infra.kafka().bootstrapServers(), 2);
  }

  @AfterAll
  static void stopServers() {
    if (infra != null) {
      infra.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"worker", "uploader", "aggregator"})
  void shouldReportReadyServeMetricsAndHealthAndStopWithinTenSecondsOfSigterm(String stage)
      throws Exception {
    int metricsPort = EmbeddedInfrastructure.freePort();
    Process process = start(stage, metricsPort);
    try {
      awaitConsuming(process, stage, group(stage), Duration.ofMinutes(2));
      String readyLine =
          awaitLine(
              stage,
              (stage.equals("worker") ? "gpu-worker" : stage) + " ready: consuming ",
              Duration.ofSeconds(60));
      System.out.println("lwise " + stage + ": " + readyLine);
      assertThat(readyLine).contains("metrics http://127.0.0.1:" + metricsPort + "/metrics");
      HttpClient http = HttpClient.newHttpClient();
      assertThat(get(http, metricsPort, "/health/live").statusCode()).isEqualTo(200);
      HttpResponse<String> ready = get(http, metricsPort, "/health/ready");
      assertThat(ready.statusCode()).as("readiness: %s", ready.body()).isEqualTo(200);
      String metrics = get(http, metricsPort, "/metrics").body();
      assertThat(metrics).contains("jvm_memory_used_bytes", "process_memory_rss_bytes");
      // Kafka's own metrics through Micrometer's binders: the consumers' lag, Kafka Streams'
      // threads.
      assertThat(metrics)
          .contains(
              stage.equals("aggregator")
                  ? "kafka_stream_thread"
                  : "kafka_consumer_fetch_manager_records_lag");
      if (stage.equals("worker")) {
        assertThat(metrics).contains("lwise_queue_depth{queue=\"polled\",stage=\"gpu-worker\"}");
      }
      long signalled = System.nanoTime();
      process.destroy(); // SIGTERM
      boolean exited = process.waitFor(30, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - signalled) / 1e9;
      System.out.printf(
          "lwise %s: exited %s %.1f s after SIGTERM%n",
          stage, exited ? "(code " + process.exitValue() + ")" : "NOT (still running)", seconds);
      assertThat(exited)
          .as("lwise %s still running 30 s after SIGTERM; output: %s", stage, output(stage))
          .isTrue();
      assertThat(seconds)
          .as("seconds from SIGTERM to exit of lwise %s", stage)
          .isLessThan(STOP_LIMIT.toSeconds());
    } finally {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static String group(String stage) {
    return switch (stage) {
      case "worker" -> "lwise-gpu-worker";
      case "uploader" -> "lwise-uploader";
      default -> "lwise-aggregator";
    };
  }

  private static Process start(String stage, int metricsPort) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-Dai.djl.offline=true",
                "-Dlwise.log.file=" + tmp.resolve(stage + ".log"),
                "-cp",
                System.getProperty("java.class.path"),
                Launcher.class.getName(),
                stage,
                "--config",
                infra.connectionFile().toString()));
    if (stage.equals("worker")) {
      command.addAll(List.of("--model", "../demo/models/fashion-cnn-standard"));
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve(stage + ".out").toFile());
    builder.environment().put("DJL_OFFLINE", "true");
    builder.environment().put("OPT_OUT_TRACKING", "true");
    builder.environment().put("LWISE_AGGREGATOR_OUTPUT_DIR", tmp.resolve("out").toString());
    builder.environment().put("LWISE_METRICS_PORT", String.valueOf(metricsPort));
    // The embedded S3 store's keys, through the environment (never on a command line).
    builder.environment().put("AWS_ACCESS_KEY_ID", System.getProperty("aws.accessKeyId"));
    builder.environment().put("AWS_SECRET_ACCESS_KEY", System.getProperty("aws.secretAccessKey"));
    return builder.start();
  }

  /** Until the stage's consumer group has a member with partitions: the stage is in its loop. */
  private static void awaitConsuming(Process process, String stage, String group, Duration timeout)
      throws Exception {
    try (Admin admin =
        Admin.create(Map.of("bootstrap.servers", infra.kafka().bootstrapServers()))) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException("lwise " + stage + " exited: " + output(stage));
        }
        try {
          ConsumerGroupDescription description =
              admin.describeConsumerGroups(List.of(group)).all().get().get(group);
          if (!description.members().isEmpty()
              && description.members().stream()
                  .allMatch(m -> !m.assignment().topicPartitions().isEmpty())) {
            return;
          }
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof GroupIdNotFoundException)) {
            throw e;
          }
        }
        Thread.sleep(200);
      }
      throw new IllegalStateException(
          "lwise " + stage + " did not join " + group + ": " + output(stage));
    }
  }

  private static String awaitLine(String stage, String prefix, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<String> line = output(stage).lines().filter(l -> l.startsWith(prefix)).findFirst();
      if (line.isPresent()) {
        return line.get();
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException(
        "lwise " + stage + " printed no line starting '" + prefix + "': " + output(stage));
  }

  private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String output(String stage) throws Exception {
    return Files.readString(tmp.resolve(stage + ".out"));
  }
}
