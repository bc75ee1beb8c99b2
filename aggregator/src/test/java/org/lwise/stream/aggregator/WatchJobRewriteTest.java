package org.lwise.stream.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.Objective;
import org.lwise.stream.schema.Score;
import org.lwise.stream.schema.UploadResult;

/**
 * Watch (open-ended) jobs never finish, so their incoming dirmaps are rewritten by the wall-clock
 * punctuator while new rows complete, scored against the finished reference job's logit range.
 */
class WatchJobRewriteTest {
  static final Duration INTERVAL = Duration.ofSeconds(5);
  static final Condition EPS2 = Conditions.create(2, 0.5, null, Objective.LOGIT, List.of(), false);
  static final List<String> HEADER = List.of("index", "split", "class", "class_num", "im_path");
  static final String REFERENCE = "j1";
  static final String WATCH = RecordKeys.watchJobId(REFERENCE, "aaa");

  @TempDir Path out;
  AggregatorDriver aggregator;
  TopologyTestDriver driver;
  TestInputTopic<String, Job> jobs;
  TestInputTopic<String, Score> scores;
  TestInputTopic<String, UploadResult> uploads;
  TestOutputTopic<String, DirmapWritten> dirmaps;

  @BeforeEach
  void setUp() {
    aggregator = new AggregatorDriver(out, INTERVAL);
    driver = aggregator.driver;
    jobs = aggregator.jobs;
    scores = aggregator.scores;
    uploads = aggregator.uploads;
    dirmaps = aggregator.dirmaps;

    // A finished reference job whose logits span 2.0..4.0.
    jobs.pipeInput(REFERENCE, job(REFERENCE, 2));
    completeRow(REFERENCE, 0, 2.0);
    completeRow(REFERENCE, 1, 4.0);
    assertThat(dirmaps.readKeyValuesToMap())
        .containsOnlyKeys(REFERENCE + "/natural", REFERENCE + "/" + EPS2.getId());
    jobs.pipeInput(
        WATCH,
        Job.newBuilder(job(WATCH, 0)).setOpenEnded(true).setReferenceJobId(REFERENCE).build());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  @Test
  void shouldWriteAWatchJobsDirmapsWhenTheIntervalHasPassedNotWhenItsRowsComplete()
      throws Exception {
    completeRow(WATCH, 0, 3.0);
    assertThat(dirmaps.isEmpty()).as("an open-ended job has no last row to wait for").isTrue();

    driver.advanceWallClockTime(INTERVAL.minusSeconds(1));
    assertThat(dirmaps.isEmpty()).isTrue();

    driver.advanceWallClockTime(Duration.ofSeconds(1));
    Map<String, DirmapWritten> written = dirmaps.readKeyValuesToMap();
    assertThat(written).containsOnlyKeys(WATCH + "/natural", WATCH + "/" + EPS2.getId());
    assertThat(written.values())
        .allSatisfy(
            dirmap -> {
              assertThat(dirmap.getComplete()).as("rewritten while the watch lasts").isFalse();
              assertThat(dirmap.getRows()).isEqualTo(1);
            });
    // Scored against the reference job's 2.0..4.0: difficulty 1 - (3 - 2) / (4 - 2).
    assertThat(difficulties(written.get(WATCH + "/natural")))
        .containsExactly(Map.entry("new-0.jpg", "0.5"));
    assertThat(Path.of(written.get(WATCH + "/natural").getCsvPath()))
        .isEqualTo(out.resolve("ham_natural/ham_natural_incoming_dirmap.csv"));
  }

  @Test
  void shouldRewriteOnlyWhenNewRowsHaveCompletedSinceTheLastWrite() throws Exception {
    completeRow(WATCH, 0, 3.0);
    driver.advanceWallClockTime(INTERVAL);
    assertThat(dirmaps.readKeyValuesToList()).hasSize(2);

    driver.advanceWallClockTime(INTERVAL);
    assertThat(dirmaps.isEmpty()).as("nothing new: nothing rewritten").isTrue();

    completeRow(WATCH, 1, 5.0);
    score(WATCH, 2, 3.5); // scored, but its images are not uploaded yet
    driver.advanceWallClockTime(INTERVAL);
    Map<String, DirmapWritten> written = dirmaps.readKeyValuesToMap();
    assertThat(written.get(WATCH + "/natural").getRows()).isEqualTo(2);
    // The reference range stays; a new image past it gets a difficulty outside [0, 1].
    assertThat(difficulties(written.get(WATCH + "/natural")))
        .containsExactly(Map.entry("new-0.jpg", "0.5"), Map.entry("new-1.jpg", "-0.5"));
    assertThat(difficulties(written.get(WATCH + "/" + EPS2.getId())))
        .as("a row waiting for its uploads would have an empty url: left out of every dirmap")
        .containsOnlyKeys("new-0.jpg", "new-1.jpg");
  }

  @Test
  void shouldLeaveTheReferenceJobsDirmapsAlone() throws Exception {
    Path referenceCsv = out.resolve("ham_natural/ham_natural_dirmap.csv");
    List<String> before = Files.readAllLines(referenceCsv);
    completeRow(WATCH, 0, 3.0);
    driver.advanceWallClockTime(INTERVAL);

    assertThat(dirmaps.readKeyValuesToMap())
        .allSatisfy((key, dirmap) -> assertThat(key).startsWith(WATCH + "/"));
    assertThat(Files.readAllLines(referenceCsv)).isEqualTo(before);
  }

  /** im_path -> difficulty of a written dirmap, in its order. */
  private static Map<String, String> difficulties(DirmapWritten dirmap) throws Exception {
    Map<String, String> difficulties = new LinkedHashMap<>();
    try (CSVParser csv =
        CSVFormat.DEFAULT
            .builder()
            .setHeader()
            .get()
            .parse(Files.newBufferedReader(Path.of(dirmap.getCsvPath())))) {
      csv.forEach(record -> difficulties.put(record.get("im_path"), record.get("difficulty")));
    }
    return difficulties;
  }

  private Job job(String jobId, long rows) {
    return Job.newBuilder()
        .setJobId(jobId)
        .setDataset("ham")
        .setModelId("m")
        .setLabelColumn("class_num")
        .setColumns(HEADER)
        .setScore(true)
        .setConditions(List.of(EPS2))
        .setClassesPresent(List.of(1))
        .setOutputFormat(ImageFormat.PNG)
        .setRowCount(rows)
        .setCreatedAt(Instant.EPOCH)
        .build();
  }

  /** A row scored and uploaded in both conditions. */
  private void completeRow(String jobId, long row, double logit) {
    score(jobId, row, logit);
    for (String condition : List.of(Conditions.NATURAL, EPS2.getId())) {
      aggregator.upload(jobId, row, condition, imPath(jobId, row), AggregatorDriver.LAYOUT);
    }
  }

  private void score(String jobId, long row, double logit) {
    scores.pipeInput(
        RecordKeys.row(jobId, row),
        Score.newBuilder()
            .setJobId(jobId)
            .setRowIndex(row)
            .setValues(Arrays.asList(String.valueOf(row), "train", "nv", "1", imPath(jobId, row)))
            .setImPath(imPath(jobId, row))
            .setLabel(1)
            .setModelId("m")
            .setRobustGtLogit(logit)
            .setRobustEntropy(0.1)
            .setRobustCrossEntropy(0.2)
            .setPredictedClass(1)
            .build());
  }

  private static String imPath(String jobId, long row) {
    return (jobId.equals(REFERENCE) ? "ref-" : "new-") + row + ".jpg";
  }
}
