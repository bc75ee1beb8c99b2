package org.lwise.stream.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.S3Layout;
import org.lwise.stream.common.S3ProxyServer;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.Objective;
import org.lwise.stream.schema.Score;
import org.lwise.stream.schema.UploadResult;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * The aggregator's dirmap writes through an S3 outage, on a real S3 API (S3Proxy, stopped and
 * started again on its port) with the production DirmapSink, S3 client and Kafka Streams settings:
 * a short outage is waited out inside the retry timeout; a longer one leaves the job's dirmaps due
 * (nothing announced, the topology carries on) until a rewrite tick finds S3 back.
 */
class DirmapS3OutageTest {
  static final Condition EPS2 = Conditions.create(2, 0.5, null, Objective.LOGIT, List.of(), false);
  static final Duration REWRITE_INTERVAL = Duration.ofSeconds(5);

  @TempDir Path out;
  S3ProxyServer server;
  S3AsyncClient s3;
  S3Layout layout;
  AggregatorDriver aggregator;
  TopologyTestDriver driver;
  TestInputTopic<String, Job> jobs;
  TestInputTopic<String, Score> scores;
  TestInputTopic<String, UploadResult> uploads;
  TestOutputTopic<String, DirmapWritten> dirmaps;

  @BeforeEach
  void startS3() throws Exception {
    server = S3ProxyServer.start();
    s3 = server.client(4);
    layout = server.connection(server.endpoint() + "/{bucket}/{key}").s3Layout();
  }

  /** The topology with a DirmapSink that gives up on S3 after {@code retryTimeout}. */
  private void startTopology(Duration retryTimeout) {
    DirmapSink sink = new DirmapSink(out, s3, layout, true, new InfrastructureRetry(retryTimeout));
    // The production settings: the processing exception handler fails the topology on an
    // infrastructure error that reaches it, as it would stop the real app.
    aggregator = new AggregatorDriver(out, sink, REWRITE_INTERVAL);
    driver = aggregator.driver;
    jobs = aggregator.jobs;
    scores = aggregator.scores;
    uploads = aggregator.uploads;
    dirmaps = aggregator.dirmaps;
  }

  @AfterEach
  void stopAll() throws Exception {
    if (driver != null) {
      driver.close();
    }
    s3.close();
    server.close();
  }

  @Test
  void shouldKeepAFinishedJobsDirmapsDueWhileS3IsDownAndAnnounceThemOnceItIsBack()
      throws Exception {
    startTopology(Duration.ofSeconds(1));
    jobs.pipeInput("j1", job(2));
    complete(0, 2.0);
    score(1, 4.0);
    upload(1, Conditions.NATURAL);
    server.stop();

    // The last upload completes the job while S3 refuses connections: the sink retries for its
    // second, then gives up; the job is not announced and the topology is not failed.
    upload(1, EPS2.getId());
    assertThat(dirmaps.isEmpty()).as("nothing announced while the dirmaps are not in S3").isTrue();
    assertThat(progress().getEmitted()).isFalse();
    assertThat(progress().getCompleted()).isEqualTo(2);
    // A rewrite tick during the outage tries again, gives up again, and still fails nothing.
    driver.advanceWallClockTime(REWRITE_INTERVAL.plusSeconds(1));
    assertThat(dirmaps.isEmpty()).isTrue();
    assertThat(progress().getEmitted()).isFalse();

    server.restart(); // same port, so the URLs the dirmaps carry stay valid
    driver.advanceWallClockTime(REWRITE_INTERVAL.plusSeconds(1));

    Map<String, DirmapWritten> written = dirmaps.readKeyValuesToMap();
    assertThat(written).containsOnlyKeys("j1/natural", "j1/" + EPS2.getId());
    for (DirmapWritten dirmap : written.values()) {
      assertThat(dirmap.getComplete()).isTrue();
      assertThat(dirmap.getRows()).isEqualTo(2);
      assertThat(dirmap.getFailed()).isZero();
      assertWrittenToS3(dirmap);
    }
    assertThat(progress().getEmitted()).isTrue();
    // Announced once: later ticks write nothing again.
    driver.advanceWallClockTime(REWRITE_INTERVAL.plusSeconds(1));
    assertThat(dirmaps.isEmpty()).isTrue();
  }

  @Test
  void shouldWaitOutAShortS3OutageWithinTheRetryTimeout() throws Exception {
    startTopology(Duration.ofSeconds(60));
    jobs.pipeInput("j1", job(1));
    score(0, 2.0);
    upload(0, Conditions.NATURAL);
    server.stop();
    ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    try {
      ScheduledFuture<?> back =
          later.schedule(
              () -> {
                server.restart();
                return null;
              },
              2,
              TimeUnit.SECONDS);
      long start = System.nanoTime();

      upload(
          0, EPS2.getId()); // completes the job; the dirmap write waits for S3 on the stream thread

      Duration waited = Duration.ofNanos(System.nanoTime() - start);
      back.get();
      assertThat(waited)
          .as("the write waited for S3 rather than giving up")
          .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
      Map<String, DirmapWritten> written = dirmaps.readKeyValuesToMap();
      assertThat(written)
          .as("announced without a rewrite tick")
          .containsOnlyKeys("j1/natural", "j1/" + EPS2.getId());
      for (DirmapWritten dirmap : written.values()) {
        assertWrittenToS3(dirmap);
      }
    } finally {
      later.shutdownNow();
    }
  }

  /** The announced URLs name S3 objects with the same bytes as the announced files. */
  private void assertWrittenToS3(DirmapWritten dirmap) throws Exception {
    String bucket = layout.bucket("ham", dirmap.getConditionId());
    String stem = "ham_" + dirmap.getConditionId() + "_dirmap";
    assertThat(dirmap.getCsvUrl()).isEqualTo(layout.url(bucket, "_dirmaps/" + stem + ".csv"));
    assertThat(dirmap.getJsonUrl()).isEqualTo(layout.url(bucket, "_dirmaps/" + stem + ".json"));
    assertThat(object(bucket, "_dirmaps/" + stem + ".csv"))
        .isEqualTo(Files.readAllBytes(Path.of(dirmap.getCsvPath())));
    assertThat(object(bucket, "_dirmaps/" + stem + ".json"))
        .isEqualTo(Files.readAllBytes(Path.of(dirmap.getJsonPath())));
  }

  private byte[] object(String bucket, String key) {
    return s3.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes())
        .join()
        .asByteArray();
  }

  private JobProgress progress() {
    return driver.<String, JobProgress>getKeyValueStore(AggregatorTopology.JOBS_STORE).get("j1");
  }

  private static Job job(long rows) {
    return Job.newBuilder()
        .setJobId("j1")
        .setDataset("ham")
        .setModelId("m")
        .setLabelColumn("class_num")
        .setColumns(AggregatorTopologyTest.HEADER)
        .setScore(true)
        .setConditions(List.of(EPS2))
        .setClassesPresent(List.of(0, 1))
        .setOutputFormat(ImageFormat.PNG)
        .setRowCount(rows)
        .setCreatedAt(Instant.EPOCH)
        .build();
  }

  private void complete(long row, double logit) {
    score(row, logit);
    upload(row, Conditions.NATURAL);
    upload(row, EPS2.getId());
  }

  private void score(long row, double logit) {
    String imPath = "images/" + row + ".jpg";
    scores.pipeInput(
        RecordKeys.row("j1", row),
        Score.newBuilder()
            .setJobId("j1")
            .setRowIndex(row)
            .setValues(
                Arrays.asList(String.valueOf(row), "train", "nv", "1", imPath, "40.0", "0.5"))
            .setImPath(imPath)
            .setLabel(1)
            .setModelId("m")
            .setRobustGtLogit(logit)
            .setRobustEntropy(0.1)
            .setRobustCrossEntropy(0.2)
            .setPredictedClass(1)
            .build());
  }

  private void upload(long row, String condition) {
    aggregator.upload("j1", row, condition, "images/" + row + ".png", layout);
  }
}
