package org.lwise.stream.aggregator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchException;

import java.nio.charset.StandardCharsets;
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
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.TopicNames;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.Objective;
import org.lwise.stream.schema.RowState;
import org.lwise.stream.schema.Score;
import org.lwise.stream.schema.ScoredImage;
import org.lwise.stream.schema.UploadResult;

class AggregatorTopologyTest {
  static final Condition EPS2 = Conditions.create(2, 0.5, null, Objective.LOGIT, List.of(), false);
  static final Condition FROM_0 =
      Conditions.create(2, 0.5, null, Objective.LOGIT_DIVERGE, List.of(0), false);
  static final List<String> HEADER =
      List.of("Unnamed: 0", "split", "class", "class_num", "im_path", "age", "difficulty");

  @TempDir Path out;
  TopologyTestDriver driver;
  PipelineTopics topics;
  AggregatorDriver aggregator;
  TestInputTopic<String, Job> jobs;
  TestInputTopic<String, Score> scores;
  TestInputTopic<String, UploadResult> uploads;
  TestInputTopic<String, DeadLetter> deadLetters;
  TestOutputTopic<String, DirmapWritten> dirmaps;
  TestOutputTopic<String, ScoredImage> scoredImages;

  @BeforeEach
  void setUp() {
    aggregator = new AggregatorDriver(out, Duration.ofSeconds(5));
    topics = aggregator.topics;
    driver = aggregator.driver;
    jobs = aggregator.jobs;
    scores = aggregator.scores;
    uploads = aggregator.uploads;
    deadLetters = aggregator.deadLetters;
    dirmaps = aggregator.dirmaps;
    scoredImages = aggregator.scoredImages;
  }

  @Test
  void shouldSendEachRowToTheLiveFeedOnceItsScoreAndEveryUploadAreDone() {
    jobs.pipeInput("j1", job(3));
    score(0, "7", "images/a.jpg", 1, 2.0);
    upload(0, Conditions.NATURAL, "images/a.png");
    assertThat(scoredImages.isEmpty()).as("row 0 still lacks its eps-2 upload").isTrue();
    upload(0, EPS2.getId(), "images/a.png");
    score(1, "8", "images/b.jpg", 0, 4.0);
    upload(1, Conditions.NATURAL, "images/b.png");
    upload(1, EPS2.getId(), "images/b.png");
    upload(1, EPS2.getId(), "images/b.png"); // a redelivered upload announces nothing twice

    List<KeyValue<String, ScoredImage>> feed = scoredImages.readKeyValuesToList();
    assertThat(feed)
        .extracting(kv -> kv.key)
        .containsExactly(RecordKeys.row("j1", 0), RecordKeys.row("j1", 1));
    ScoredImage first = feed.get(0).value;
    assertThat(first.getDataset()).isEqualTo("ham");
    assertThat(first.getColumns()).isEqualTo(HEADER);
    assertThat(first.getUrls()).containsOnlyKeys(Conditions.NATURAL, EPS2.getId());
    assertThat(first.getIncoming()).isFalse();
    // Running job: against the rows scored so far — only itself, so no range yet; then 2.0..4.0.
    assertThat(first.getDifficulty()).isNull();
    assertThat(feed.get(1).value.getDifficulty()).isEqualTo(0.0);
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  @Test
  void shouldWriteEveryConditionsDirmapOnceEveryRowIsAccountedFor() throws Exception {
    jobs.pipeInput("j1", job(3));
    score(0, "7", "images/a.jpg", 1, 2.0);
    upload(0, Conditions.NATURAL, "images/a.png");
    upload(0, EPS2.getId(), "images/a.png");
    score(1, "8", "images/b.jpg", 0, 4.0);
    upload(1, Conditions.NATURAL, "images/b.png");
    assertThat(dirmaps.isEmpty()).as("row 1 lacks its eps-2 image, row 2 is missing").isTrue();
    upload(1, EPS2.getId(), "images/b.png");
    deadLetters.pipeInput(
        RecordKeys.row("j1", 2),
        DeadLetters.of(
            "gpu-worker",
            "broken image: not a PNG",
            RecordKeys.row("j1", 2),
            "j1",
            2L,
            "images/c.jpg"));

    Map<String, DirmapWritten> written = dirmaps.readKeyValuesToMap();
    assertThat(written).containsOnlyKeys("j1/natural", "j1/" + EPS2.getId());
    DirmapWritten eps2 = written.get("j1/" + EPS2.getId());
    assertThat(eps2.getRows()).isEqualTo(2);
    assertThat(eps2.getFailed()).isEqualTo(1);
    assertThat(eps2.getComplete()).isTrue();
    List<String> csv = Files.readAllLines(Path.of(eps2.getCsvPath()));
    assertThat(Path.of(eps2.getCsvPath()))
        .isEqualTo(out.resolve("ham_2_0.5_4_logit/ham_2_0.5_4_logit_dirmap.csv"));
    assertThat(csv)
        .containsExactly(
            "Unnamed: 0,split,class,class_num,im_path,age,difficulty,orig_im_path,output_im_path,robust_gt_logit,"
                + "url,robust_entropy,robust_cross_entropy,robust_predicted_class,image_entropy,dct_relevant_fraction,"
                + "difficulty_input",
            "7,train,nv,1,images/a.jpg,40.0,1.0,images/a.jpg,images/a.png,2.0,"
                + "https://lab-ham-2-0dot5-4-logit.s3.amazonaws.com/images/a.png,0.1,0.2,1,3.5,0.25,0.5",
            "8,train,nv,0,images/b.jpg,40.0,0.0,images/b.jpg,images/b.png,4.0,"
                + "https://lab-ham-2-0dot5-4-logit.s3.amazonaws.com/images/b.png,0.1,0.2,1,3.5,0.25,0.5");
    assertThat(Files.readString(Path.of(eps2.getJsonPath())))
        .startsWith("[{\"Unnamed: 0\":7,\"split\":\"train\"");
  }

  @Test
  void shouldGiveAnImageTheSameDifficultyInEveryConditionIncludingOneThatDropsRows()
      throws Exception {
    // Class 0 holds the largest logit; the diverge condition drops its rows, and must not recompute
    // min/max over what is left (SPEC.md: difficulty is the image's, over all scored rows of the
    // job).
    jobs.pipeInput("j1", Job.newBuilder(job(3)).setConditions(List.of(EPS2, FROM_0)).build());
    score(0, "0", "images/a.jpg", 0, 5.0);
    score(1, "1", "images/b.jpg", 1, 1.0);
    score(2, "2", "images/c.jpg", 1, 3.0);
    for (long row = 0; row < 3; row++) {
      String path = "images/" + (char) ('a' + row) + ".png";
      upload(row, Conditions.NATURAL, path);
      upload(row, EPS2.getId(), path);
      if (row > 0) {
        upload(row, FROM_0.getId(), path);
      }
    }

    Map<String, DirmapWritten> written = dirmaps.readKeyValuesToMap();
    Map<String, String> natural = difficulties(written.get("j1/natural"));
    assertThat(natural)
        .containsExactly(
            Map.entry("images/a.jpg", "0.0"),
            Map.entry("images/b.jpg", "1.0"),
            Map.entry("images/c.jpg", "0.5"));
    assertThat(difficulties(written.get("j1/" + EPS2.getId()))).isEqualTo(natural);
    assertThat(difficulties(written.get("j1/" + FROM_0.getId())))
        .as("rows of class 0 left out, values kept")
        .containsExactly(Map.entry("images/b.jpg", "1.0"), Map.entry("images/c.jpg", "0.5"));
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

  @Test
  void shouldCountRowsThatArrivedBeforeTheirJob() {
    score(0, "0", "a.jpg", 1, 1.0);
    upload(0, Conditions.NATURAL, "a.png");
    upload(0, EPS2.getId(), "a.png");
    assertThat(dirmaps.isEmpty()).isTrue();
    jobs.pipeInput("j1", job(1));
    // The job's arrival counts the rows already there, which completes it.
    assertThat(dirmaps.readKeyValuesToMap()).containsKeys("j1/natural", "j1/" + EPS2.getId());
    // A late dead letter for a finished row changes nothing and writes nothing again.
    deadLetters.pipeInput(
        "x", DeadLetters.of("uploader", "late duplicate", "x", "j1", 0L, "a.png"));
    assertThat(dirmaps.isEmpty()).isTrue();
  }

  @Test
  void shouldKeepTheLiveDifficultyTableQueryable() {
    jobs.pipeInput("j1", job(2));
    score(0, "0", "a.jpg", 1, 3.5);
    KeyValueStore<String, RowState> rows = driver.getKeyValueStore(AggregatorTopology.ROWS_STORE);
    assertThat(rows.get(RecordKeys.row("j1", 0)).getRobustGtLogit()).isEqualTo(3.5);
    KeyValueStore<String, JobProgress> progress =
        driver.getKeyValueStore(AggregatorTopology.JOBS_STORE);
    assertThat(progress.get("j1").getCompleted()).isZero();
  }

  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource({
    "no value, lwise.scores", "no value, lwise.uploads", "another schema, lwise.scores",
    "another schema, lwise.uploads", "corrupt bytes, lwise.scores", "corrupt bytes, lwise.uploads"
  })
  void shouldDeadLetterAnUnreadableRowRecordAndCountItTowardsItsJob(String kind, String topic) {
    jobs.pipeInput("j1", job(2));
    complete(0, 2.0);
    String key =
        topic.equals(TopicNames.SCORES)
            ? RecordKeys.row("j1", 1)
            : RecordKeys.output("j1", Conditions.NATURAL, 1);
    byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
    byte[] value = badValue(kind);
    // The driver does not capture what the deserialization handler produces, so this test calls
    // the source's serde and the handler as Kafka Streams does, then pipes the dead letter back.
    Serde<?> source =
        topic.equals(TopicNames.SCORES)
            ? ReadableValues.of(Score.class, topics.scores().valueSerde())
            : ReadableValues.of(UploadResult.class, topics.uploads().valueSerde());
    Exception error = catchException(() -> source.deserializer().deserialize(topic, value));
    assertThat(error).isInstanceOf(SerializationException.class);
    BadRecordHandlers.Deserialization handler = new BadRecordHandlers.Deserialization();
    handler.configure(
        Map.of(
            StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
            TopicNames.AGGREGATOR_DEAD_LETTERS));
    var response =
        handler.handleError(
            new SourceContext(topic, 3, 41, keyBytes, value),
            new ConsumerRecord<>(topic, 3, 41, keyBytes, value),
            error);

    assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
    ProducerRecord<byte[], byte[]> dead = response.deadLetterQueueRecords().get(0);
    assertThat(dead.topic()).isEqualTo(TopicNames.AGGREGATOR_DEAD_LETTERS);
    assertThat(dead.key()).isEqualTo(keyBytes);
    assertThat(dead.value()).isEqualTo(value);
    assertThat(header(dead, "__streams.errors.topic")).isEqualTo(topic);
    assertThat(header(dead, "__streams.errors.partition")).isEqualTo("3");
    assertThat(header(dead, "__streams.errors.offset")).isEqualTo("41");
    assertThat(header(dead, BadRecordHandlers.HEADER_JOB)).isEqualTo("j1");
    assertThat(header(dead, BadRecordHandlers.HEADER_ROW)).isEqualTo("1");

    // Read back, the dead letter fails row 1, which completes the job.
    raw(TopicNames.AGGREGATOR_DEAD_LETTERS)
        .pipeInput(new TestRecord<>(dead.key(), dead.value(), dead.headers()));
    Map<String, DirmapWritten> written = dirmaps.readKeyValuesToMap();
    assertThat(written).containsOnlyKeys("j1/natural", "j1/" + EPS2.getId());
    assertThat(written.get("j1/natural").getFailed()).isEqualTo(1);
    RowState failed =
        driver
            .<String, RowState>getKeyValueStore(AggregatorTopology.ROWS_STORE)
            .get(RecordKeys.row("j1", 1));
    assertThat(failed.getFailure())
        .startsWith(
            "aggregator: unreadable record on "
                + topic
                + " partition 3 offset 41: "
                + "org.apache.kafka.common.errors.SerializationException: ");
  }

  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource({
    "no value, lwise.scores",
    "another schema, lwise.uploads",
    "corrupt bytes, lwise.scores"
  })
  void shouldSkipAnUnreadableRowRecordAndCarryOn(String kind, String topic) {
    jobs.pipeInput("j1", job(1));
    raw(topic).pipeInput(RecordKeys.row("j1", 0).getBytes(StandardCharsets.UTF_8), badValue(kind));
    complete(0, 2.0);
    assertThat(dirmaps.readKeyValuesToMap()).containsKeys("j1/natural", "j1/" + EPS2.getId());
  }

  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource({
    "no value, lwise.jobs", "another schema, lwise.jobs", "corrupt bytes, lwise.jobs",
    "no value, lwise.dead-letters", "another schema, lwise.dead-letters",
        "corrupt bytes, lwise.dead-letters"
  })
  void shouldDeadLetterAnUnreadableRecordAndCarryOn(String kind, String topic) {
    raw(topic).pipeInput("j1".getBytes(StandardCharsets.UTF_8), badValue(kind));
    jobs.pipeInput("j1", job(1));
    complete(0, 2.0);
    assertThat(dirmaps.readKeyValuesToMap()).containsKeys("j1/natural", "j1/" + EPS2.getId());
  }

  @Test
  void shouldDeadLetterAJobWhoseContentTheProcessorRefusesAndCarryOn() {
    jobs.pipeInput("j1", Job.newBuilder(job(0)).setDataset("../outside").build());
    assertThat(
            driver.<String, JobProgress>getKeyValueStore(AggregatorTopology.JOBS_STORE).get("j1"))
        .isNull();
    assertThat(dirmaps.isEmpty()).isTrue();

    jobs.pipeInput("j2", Job.newBuilder(job(0)).setJobId("j2").build());
    assertThat(dirmaps.readKeyValuesToMap()).containsKeys("j2/natural");
  }

  @Test
  void shouldGiveASecondWatchJobOfTheSameDatasetItsOwnIncomingDirmap() throws Exception {
    jobs.pipeInput("j1", job(0));
    for (String watch : List.of("j1~watch-aaa", "j1~watch-bbb")) {
      jobs.pipeInput(
          watch,
          Job.newBuilder(job(0))
              .setJobId(watch)
              .setOpenEnded(true)
              .setReferenceJobId("j1")
              .build());
    }
    watchRow("j1~watch-aaa", 0, 1.0);
    watchRow("j1~watch-bbb", 0, 3.0);
    driver.advanceWallClockTime(Duration.ofSeconds(6));

    Path folder = out.resolve("ham_natural");
    assertThat(Files.readAllLines(folder.resolve("ham_natural_incoming_dirmap.csv")))
        .hasSize(2)
        .last()
        .asString()
        .contains(",1.0,");
    assertThat(Files.readAllLines(folder.resolve("ham_natural_incoming_bbb_dirmap.csv")))
        .hasSize(2)
        .last()
        .asString()
        .contains(",3.0,");
  }

  private void watchRow(String jobId, long row, double logit) {
    scores.pipeInput(
        RecordKeys.row(jobId, row),
        Score.newBuilder()
            .setJobId(jobId)
            .setRowIndex(row)
            .setValues(Arrays.asList("0", "train", "nv", "1", "new.jpg", "40.0", "0.5"))
            .setImPath("new.jpg")
            .setLabel(1)
            .setModelId("m")
            .setRobustGtLogit(logit)
            .setRobustEntropy(0.1)
            .setRobustCrossEntropy(0.2)
            .setPredictedClass(1)
            .build());
    for (String condition : List.of(Conditions.NATURAL, EPS2.getId())) {
      uploads.pipeInput(
          RecordKeys.output(jobId, condition, row),
          UploadResult.newBuilder()
              .setJobId(jobId)
              .setRowIndex(row)
              .setConditionId(condition)
              .setBucket("b")
              .setKey("new.png")
              .setImPath("new.png")
              .setUrl("u")
              .setSha256("x")
              .build());
    }
  }

  private TestInputTopic<byte[], byte[]> raw(String topic) {
    return driver.createInputTopic(
        topic, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
  }

  private byte[] badValue(String kind) {
    return switch (kind) {
      case "no value" -> null;
      case "another schema" ->
          topics
              .dirmaps()
              .valueSerde()
              .serializer()
              .serialize(
                  "x",
                  DirmapWritten.newBuilder()
                      .setJobId("j1")
                      .setConditionId("natural")
                      .setRows(0)
                      .setFailed(0)
                      .setCsvPath("")
                      .setJsonPath("")
                      .setCsvUrl("")
                      .setJsonUrl("")
                      .setComplete(true)
                      .build());
      case "corrupt bytes" -> "not avro".getBytes(StandardCharsets.UTF_8);
      default -> throw new IllegalArgumentException(kind);
    };
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String name) {
    var header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  /** Where a record came from, as Kafka Streams tells its exception handlers. */
  private record SourceContext(
      String topic, int partition, long offset, byte[] sourceRawKey, byte[] sourceRawValue)
      implements ErrorHandlerContext {
    @Override
    public Headers headers() {
      return new RecordHeaders();
    }

    @Override
    public String processorNodeId() {
      return "source";
    }

    @Override
    public TaskId taskId() {
      return new TaskId(0, partition);
    }

    @Override
    public long timestamp() {
      return 0;
    }
  }

  /** Row {@code row} of j1 scored and uploaded in both conditions. */
  private void complete(long row, double logit) {
    score(row, String.valueOf(row), "images/" + row + ".jpg", 1, logit);
    upload(row, Conditions.NATURAL, "images/" + row + ".png");
    upload(row, EPS2.getId(), "images/" + row + ".png");
  }

  private Job job(long rows) {
    return Job.newBuilder()
        .setJobId("j1")
        .setDataset("ham")
        .setModelId("m")
        .setLabelColumn("class_num")
        .setColumns(HEADER)
        .setScore(true)
        .setConditions(List.of(EPS2))
        .setClassesPresent(List.of(0, 1))
        .setOutputFormat(ImageFormat.PNG)
        .setRowCount(rows)
        .setCreatedAt(Instant.EPOCH)
        .build();
  }

  private void score(long row, String index, String imPath, int label, double logit) {
    scores.pipeInput(
        RecordKeys.row("j1", row),
        Score.newBuilder()
            .setJobId("j1")
            .setRowIndex(row)
            .setValues(
                Arrays.asList(index, "train", "nv", String.valueOf(label), imPath, "40.0", "0.5"))
            .setImPath(imPath)
            .setLabel(label)
            .setModelId("m")
            .setRobustGtLogit(logit)
            .setRobustEntropy(0.1)
            .setRobustCrossEntropy(0.2)
            .setPredictedClass(1)
            .setImageEntropy(3.5)
            .setDctRelevantFraction(0.25)
            .build());
  }

  private void upload(long row, String condition, String path) {
    aggregator.upload("j1", row, condition, path, AggregatorDriver.LAYOUT);
  }
}
