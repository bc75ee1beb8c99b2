package org.lwise.stream.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.PlainAvroSerdes;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.S3Layout;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.JobEvent;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.Objective;
import org.lwise.stream.schema.RowState;
import org.lwise.stream.schema.Score;
import org.lwise.stream.schema.UploadResult;

class AggregatorTopologyTest {
  static final Condition EPS2 = Conditions.create(2, 0.5, null, Objective.LOGIT, List.of(), false);
  static final List<String> HEADER = List.of("Unnamed: 0", "split", "class", "class_num", "im_path", "age", "difficulty");

  @TempDir Path out;
  TopologyTestDriver driver;
  PipelineTopics topics;
  TestInputTopic<String, Job> jobs;
  TestInputTopic<String, Score> scores;
  TestInputTopic<String, UploadResult> uploads;
  TestInputTopic<String, DeadLetter> deadLetters;
  TestOutputTopic<String, DirmapWritten> dirmaps;

  @BeforeEach
  void setUp() {
    PlainAvroSerdes serdes = new PlainAvroSerdes();
    topics = PipelineTopics.create(serdes);
    S3Layout layout = new S3Layout(S3Layout.Mode.BUCKET_PER_CONDITION, "lab", "", S3Layout.AWS_URL_TEMPLATE);
    var topology = AggregatorTopology.build(topics,
        new AggregatorTopology.InternalSerdes(serdes.value(JobEvent.class), serdes.value(RowState.class),
            serdes.value(JobProgress.class)),
        new DirmapSink(out, null, layout, true), Duration.ofSeconds(5));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "aggregator-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, out.resolve("state").toString());
    driver = new TopologyTestDriver(topology, props);
    jobs = driver.createInputTopic(topics.jobs().name(), Serdes.String().serializer(), topics.jobs().valueSerde().serializer());
    scores = driver.createInputTopic(topics.scores().name(), Serdes.String().serializer(), topics.scores().valueSerde().serializer());
    uploads = driver.createInputTopic(topics.uploads().name(), Serdes.String().serializer(), topics.uploads().valueSerde().serializer());
    deadLetters = driver.createInputTopic(topics.deadLetters().name(), Serdes.String().serializer(),
        topics.deadLetters().valueSerde().serializer());
    dirmaps = driver.createOutputTopic(topics.dirmaps().name(), Serdes.String().deserializer(),
        topics.dirmaps().valueSerde().deserializer());
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
    deadLetters.pipeInput(RecordKeys.row("j1", 2), DeadLetters.of("gpu-worker", "broken image: not a PNG",
        RecordKeys.row("j1", 2), "j1", 2L, "images/c.jpg"));

    Map<String, DirmapWritten> written = dirmaps.readKeyValuesToMap();
    assertThat(written).containsOnlyKeys("j1/natural", "j1/" + EPS2.getId());
    DirmapWritten eps2 = written.get("j1/" + EPS2.getId());
    assertThat(eps2.getRows()).isEqualTo(2);
    assertThat(eps2.getFailed()).isEqualTo(1);
    assertThat(eps2.getComplete()).isTrue();
    List<String> csv = Files.readAllLines(Path.of(eps2.getCsvPath()));
    assertThat(Path.of(eps2.getCsvPath())).isEqualTo(out.resolve("ham_2_0.5_4_logit/ham_2_0.5_4_logit_dirmap.csv"));
    assertThat(csv).containsExactly(
        "Unnamed: 0,split,class,class_num,im_path,age,difficulty,orig_im_path,output_im_path,robust_gt_logit,"
            + "difficulty_lwise,url,robust_entropy,robust_cross_entropy,robust_predicted_class",
        "7,train,nv,1,images/a.jpg,40.0,0.5,images/a.jpg,images/a.png,2.0,1.0,"
            + "https://lab-ham-2-0dot5-4-logit.s3.amazonaws.com/images/a.png,0.1,0.2,1",
        "8,train,nv,0,images/b.jpg,40.0,0.5,images/b.jpg,images/b.png,4.0,0.0,"
            + "https://lab-ham-2-0dot5-4-logit.s3.amazonaws.com/images/b.png,0.1,0.2,1");
    assertThat(Files.readString(Path.of(eps2.getJsonPath())))
        .startsWith("[{\"Unnamed: 0\":\"7\",\"split\":\"train\"");
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
    deadLetters.pipeInput("x", DeadLetters.of("uploader", "late duplicate", "x", "j1", 0L, "a.png"));
    assertThat(dirmaps.isEmpty()).isTrue();
  }

  @Test
  void shouldKeepTheLiveDifficultyTableQueryable() {
    jobs.pipeInput("j1", job(2));
    score(0, "0", "a.jpg", 1, 3.5);
    KeyValueStore<String, RowState> rows = driver.getKeyValueStore(AggregatorTopology.ROWS_STORE);
    assertThat(rows.get(RecordKeys.row("j1", 0)).getRobustGtLogit()).isEqualTo(3.5);
    KeyValueStore<String, JobProgress> progress = driver.getKeyValueStore(AggregatorTopology.JOBS_STORE);
    assertThat(progress.get("j1").getCompleted()).isZero();
  }

  private Job job(long rows) {
    return Job.newBuilder().setJobId("j1").setDataset("ham").setModelId("m").setLabelColumn("class_num")
        .setColumns(HEADER).setScore(true).setConditions(List.of(EPS2)).setClassesPresent(List.of(0, 1))
        .setOutputFormat(ImageFormat.PNG).setRowCount(rows).setCreatedAt(Instant.EPOCH).build();
  }

  private void score(long row, String index, String imPath, int label, double logit) {
    scores.pipeInput(RecordKeys.row("j1", row), Score.newBuilder().setJobId("j1").setRowIndex(row)
        .setValues(Arrays.asList(index, "train", "nv", String.valueOf(label), imPath, "40.0", "0.5"))
        .setImPath(imPath).setLabel(label).setModelId("m").setRobustGtLogit(logit).setRobustEntropy(0.1)
        .setRobustCrossEntropy(0.2).setPredictedClass(1).build());
  }

  private void upload(long row, String condition, String path) {
    S3Layout layout = new S3Layout(S3Layout.Mode.BUCKET_PER_CONDITION, "lab", "", S3Layout.AWS_URL_TEMPLATE);
    String bucket = layout.bucket("ham", condition);
    uploads.pipeInput(RecordKeys.output("j1", condition, row), UploadResult.newBuilder().setJobId("j1").setRowIndex(row)
        .setConditionId(condition).setBucket(bucket).setKey(path).setImPath(path).setUrl(layout.url(bucket, path))
        .setSha256("x").build());
  }
}
