package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
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
import org.lwise.stream.common.Topic;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.ingest.IngestApp;
import org.lwise.stream.ingest.IngestConfig;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Objective;

/**
 * The fault campaign: every stage runs as its own `lwise` process on the embedded servers, and each
 * scenario injects one fault while a job is half done — a worker, the uploader or the aggregator
 * killed with SIGKILL (mid-transaction, as it happens), the broker restarted, S3 or the registry
 * stopped for 30 s. After each, the job must complete within a bound, every row must be accounted
 * for, and every output must be on its topic exactly once. Recovery times are appended to {@code
 * target/fault-campaign.txt} (the README's Reliability table comes from it).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultCampaignIT {
  /**
   * How long a job may take beyond the end of a fault: the one minute, plus the job's own
   * work.
   */
  private static final Duration RECOVERY_BOUND = Duration.ofSeconds(60);

  private static final Duration OUTAGE = Duration.ofSeconds(30);
  private static final int ROWS = 300;
  private static final List<Condition> CONDITIONS =
      List.of(
          Conditions.create(1, 0.5, null, Objective.LOGIT, List.of(), false),
          Conditions.create(2, 0.5, null, Objective.LOGIT, List.of(), false));

  @TempDir static Path tmp;
  static EmbeddedInfrastructure infra;
  static Map<String, String> props;
  static StageJvms stages;
  static final Path REPORT = Path.of("target", "fault-campaign.txt");

  @BeforeAll
  static void startStages() throws Exception {
    Path out = tmp.resolve("out");
    infra = EmbeddedInfrastructure.start(out, Launcher.registryJar());
    props = new HashMap<>(infra.connection());
    // Stage consoles and logs stay in target/ after the run: they are what explains a failure.
    Path logs = Files.createDirectories(Path.of("target", "fault-campaign-logs"));
    stages =
        new StageJvms(
            logs,
            infra.connectionFile(),
            Map.of(
                "LWISE_WORKER_MAX_BATCH_SIZE", "8",
                "LWISE_WORKER_MAX_BATCH_WAIT_MS", "50",
                "LWISE_AGGREGATOR_OUTPUT_DIR", out.toString()));
    stages.start("worker", "--model", "../demo/models/fashion-cnn-standard");
    stages.start("uploader");
    stages.start("aggregator");
    awaitGroupMembers("lwise-gpu-worker", 1);
    awaitGroupMembers("lwise-uploader", 1);
    awaitGroupMembers("lwise-aggregator", 1);
    Files.createDirectories(REPORT.getParent());
    Files.writeString(
        REPORT, "fault | job rows | rows done | failed | completed after fault ends (s)\n");
  }

  @AfterAll
  static void stop() {
    if (stages != null) {
      stages.close();
    }
    if (infra != null) {
      infra.close();
    }
  }

  @Test
  @Order(1)
  void shouldFinishAJobWhoseWorkerIsKilledMidTransaction() throws Exception {
    survives(
        "gpu-worker killed (SIGKILL) and restarted",
        "faults-worker",
        () -> {
          stages.kill("worker");
          stages.start("worker", "--model", "../demo/models/fashion-cnn-standard");
        });
  }

  @Test
  @Order(2)
  void shouldFinishAJobWhoseUploaderIsKilled() throws Exception {
    survives(
        "uploader killed (SIGKILL) and restarted",
        "faults-uploader",
        () -> {
          stages.kill("uploader");
          stages.start("uploader");
        });
  }

  @Test
  @Order(3)
  void shouldFinishAJobWhoseAggregatorIsKilled() throws Exception {
    survives(
        "aggregator killed (SIGKILL) and restarted",
        "faults-aggregator",
        () -> {
          stages.kill("aggregator");
          stages.start("aggregator");
        });
  }

  @Test
  @Order(4)
  void shouldFinishAJobAcrossABrokerRestart() throws Exception {
    survives(
        "broker restarted",
        "faults-broker",
        () -> {
          infra.kafka().stop();
          infra.kafka().start();
        });
  }

  @Test
  @Order(5)
  void shouldFinishAJobAfterS3IsAwayForThirtySeconds() throws Exception {
    survives(
        "S3 store stopped for 30 s",
        "faults-s3",
        () -> {
          infra.s3().stop();
          pause(OUTAGE);
          infra.s3().start();
        });
  }

  @Test
  @Order(6)
  void shouldFinishAJobAfterTheRegistryIsAwayForThirtySeconds() throws Exception {
    survives(
        "schema registry stopped for 30 s",
        "faults-registry",
        () -> {
          infra.registry().stop();
          pause(OUTAGE);
          infra.registry().start();
        });
  }

  /**
   * Submits a job, injects the fault once a sixth of its rows are scored, then checks that the job
   * completes within the bound with every row accounted for and every output exactly once.
   */
  private void survives(String fault, String dataset, Fault inject) throws Exception {
    JobRequest request =
        new JobRequest(
            Path.of("../demo/fashion-mnist/dirmap.csv").toAbsolutePath(),
            dataset,
            "fashion-cnn-standard",
            "class_num",
            true,
            CONDITIONS,
            ImageFormat.PNG,
            null);
    IngestReport submitted;
    try (var ingest = new IngestApp(IngestConfig.from(props))) {
      submitted = ingest.submit(request, n -> {});
    }
    String jobId = submitted.jobId();
    try (var tally = new JobRowTally(bootstrap(), topics(), jobId)) {
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (tally.accounted() < ROWS / 6 && System.nanoTime() < deadline) {
        tally.poll(Duration.ofMillis(200));
      }
      assertThat(tally.accounted())
          .as("rows scored before the fault")
          .isGreaterThanOrEqualTo(ROWS / 6);
    }
    inject.run();
    long faultEnded = System.nanoTime();
    Duration bound = RECOVERY_BOUND.plus(Duration.ofSeconds(ROWS / 5)); // ≥ 5 images/s when healthy
    var dirmaps = new WrittenDirmaps(bootstrap(), topics().dirmaps());
    Map<String, DirmapWritten> written = Map.of();
    while (System.nanoTime() - faultEnded < bound.toNanos()) {
      written = dirmaps.of(jobId);
      if (written.size() == CONDITIONS.size() + 1) {
        break;
      }
      Thread.sleep(500);
    }
    double seconds = (System.nanoTime() - faultEnded) / 1e9;
    assertThat(written)
        .as(
            fault
                + ": final dirmaps within "
                + bound.toSeconds()
                + " s of the fault's end; stages: "
                + stages.describe()
                + "\nopen transactions: "
                + openTransactions())
        .hasSize(CONDITIONS.size() + 1);
    var natural = written.get(Conditions.NATURAL);
    assertThat(natural.getRows() + natural.getFailed())
        .as("every row accounted for")
        .isEqualTo(ROWS);
    assertThat(natural.getFailed()).as("no row lost to the fault").isZero();
    assertThat(Files.readAllLines(Path.of(natural.getCsvPath()))).hasSize(ROWS + 1);

    // Exactly once: each output key of the job once on its topic (read_committed), none missing.
    assertThat(countsByKey(topics().scores(), jobId))
        .as("scores")
        .hasSize(ROWS)
        .allSatisfy((k, n) -> assertThat(n).isOne());
    int outputs = ROWS * (CONDITIONS.size() + 1);
    assertThat(countsByKey(topics().enhanced(), jobId))
        .as("output images")
        .hasSize(outputs)
        .allSatisfy((k, n) -> assertThat(n).isOne());
    assertThat(countsByKey(topics().uploads(), jobId))
        .as("uploads")
        .hasSize(outputs)
        .allSatisfy((k, n) -> assertThat(n).isOne());
    Files.writeString(
        REPORT,
        String.format(
            "%s | %d | %d | %d | %.1f%n",
            fault, ROWS, natural.getRows(), natural.getFailed(), seconds),
        StandardOpenOption.APPEND);
  }

  /**
   * Transactions still open on the stages' output partitions: a read_committed reader stops at the
   * first one, so this is what explains a job that stalls with every stage alive.
   */
  private static String openTransactions() {
    try (var admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap()))) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic :
          List.of("lwise.scores", "lwise.enhanced", "lwise.uploads", "lwise.dead-letters")) {
        admin
            .describeTopics(List.of(topic))
            .allTopicNames()
            .get()
            .get(topic)
            .partitions()
            .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      }
      StringBuilder open = new StringBuilder();
      admin
          .describeProducers(partitions)
          .all()
          .get()
          .forEach(
              (partition, producers) ->
                  producers.activeProducers().stream()
                      .filter(p -> p.currentTransactionStartOffset().isPresent())
                      .forEach(p -> open.append('\n').append(partition).append(": ").append(p)));
      admin.listTransactions().all().get().forEach(t -> open.append('\n').append(t));
      return open.isEmpty() ? "none" : open.toString();
    } catch (Exception e) {
      return "could not be listed: " + e;
    }
  }

  private static <V> Map<String, Integer> countsByKey(Topic<String, V> topic, String jobId) {
    Map<String, Integer> counts = new HashMap<>();
    TopicReader.readAll(
        bootstrap(),
        topic,
        (key, value) -> {
          if (key != null && key.startsWith(jobId + "/")) {
            counts.merge(key, 1, Integer::sum);
          }
        });
    return counts;
  }

  private static void awaitGroupMembers(String group, int members) throws Exception {
    try (var admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap()))) {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (System.nanoTime() < deadline) {
        stages.assertAlive();
        try {
          ConsumerGroupDescription description =
              admin.describeConsumerGroups(List.of(group)).all().get().get(group);
          if (description.members().size() >= members) {
            return;
          }
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof GroupIdNotFoundException)) {
            throw e;
          }
        }
        Thread.sleep(250);
      }
      throw new IllegalStateException(
          "group " + group + " did not reach " + members + " members: " + stages.describe());
    }
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String bootstrap() {
    return props.get("bootstrap.servers");
  }

  private static PipelineTopics topics() {
    return PipelineTopics.create(new RegistrySerdes(props.get("registry.url")));
  }

  @FunctionalInterface
  private interface Fault {
    void run() throws Exception;
  }

  /** Stage processes started as an operator would: `lwise <stage> --config <connection file>`. */
  static final class StageJvms implements AutoCloseable {
    private final Path logs;
    private final Path connectionFile;
    private final Map<String, String> environment;
    private final Map<String, Process> running = new HashMap<>();
    private final Map<String, Integer> starts = new HashMap<>();

    StageJvms(Path logs, Path connectionFile, Map<String, String> environment) {
      this.logs = logs;
      this.connectionFile = connectionFile;
      this.environment = environment;
    }

    void start(String stage, String... args) {
      int n = starts.merge(stage, 1, Integer::sum);
      List<String> command =
          new ArrayList<>(
              List.of(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-XX:TieredStopAtLevel=1",
                  "-Dai.djl.offline=true",
                  "-Dlwise.log.file=" + logs.resolve(stage + "-" + n + ".log"),
                  "-cp",
                  System.getProperty("java.class.path"),
                  "org.lwise.stream.launcher.Launcher",
                  stage,
                  "--config",
                  connectionFile.toString()));
      command.addAll(List.of(args));
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(logs.resolve(stage + "-" + n + ".out").toFile());
      builder.environment().put("DJL_OFFLINE", "true");
      builder.environment().put("OPT_OUT_TRACKING", "true");
      builder.environment().put("AWS_ACCESS_KEY_ID", System.getProperty("aws.accessKeyId"));
      builder.environment().put("AWS_SECRET_ACCESS_KEY", System.getProperty("aws.secretAccessKey"));
      builder.environment().putAll(environment);
      try {
        running.put(stage, builder.start());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start " + stage, e);
      }
    }

    /** SIGKILL: no shutdown hook, no abort of the open transaction. */
    void kill(String stage) throws InterruptedException {
      Process process = running.remove(stage);
      process.destroyForcibly();
      process.waitFor();
    }

    void assertAlive() {
      running.forEach(
          (stage, process) -> {
            if (!process.isAlive()) {
              throw new IllegalStateException(
                  stage + " exited with " + process.exitValue() + ": " + describe());
            }
          });
    }

    /** Which stages are alive, with the tail of each one's console. */
    String describe() {
      StringBuilder text = new StringBuilder();
      starts.forEach(
          (stage, n) -> {
            Process process = running.get(stage);
            text.append('\n')
                .append(stage)
                .append(process != null && process.isAlive() ? " alive" : " NOT running");
            Function<Path, String> tail =
                file -> {
                  try {
                    List<String> lines = Files.readAllLines(file);
                    return String.join(
                        "\n  ", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
                  } catch (IOException e) {
                    return "(no output)";
                  }
                };
            text.append("\n  ").append(tail.apply(logs.resolve(stage + "-" + n + ".out")));
          });
      return text.toString();
    }

    @Override
    public void close() {
      running.values().forEach(Process::destroy);
      running
          .values()
          .forEach(
              p -> {
                try {
                  p.waitFor(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                p.destroyForcibly();
              });
    }
  }
}
