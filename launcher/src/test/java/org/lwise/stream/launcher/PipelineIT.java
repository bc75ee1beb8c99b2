package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.ConnectionConfig;
import org.lwise.stream.common.KafkaClients;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.S3Layout;
import org.lwise.stream.common.Topic;
import org.lwise.stream.common.TopicProducer;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.ingest.IngestApp;
import org.lwise.stream.ingest.IngestConfig;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.ImageRecord;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.Objective;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The whole pipeline on the embedded default's real servers (KRaft broker, Apicurio registry,
 * S3Proxy), with two gpu-workers sharing the work topic: one in this JVM, one a separate `lwise
 * worker` process. One set of servers and one finished reference job for the class, set up before
 * any scenario; each scenario reads only that job's outputs or sets up its own job and dataset, so
 * they pass in any order.
 */
class PipelineIT {
  @TempDir static Path tmp;
  static EmbeddedInfrastructure infra;
  static PipelineRun run;
  static Map<String, String> props;
  static JobRequest request;
  static IngestReport report;
  static JobProgress progress;

  /**
   * Images the in-process worker had done when the reference job completed: its share of that job.
   */
  static long inProcessShare;

  static Process secondWorker;
  static final List<Condition> CONDITIONS =
      List.of(
          Conditions.create(1, 0.5, null, Objective.LOGIT, List.of(), false),
          Conditions.create(2, 0.5, null, Objective.LOGIT, List.of(), false));

  @BeforeAll
  static void startPipeline() throws Exception {
    Path out = tmp.resolve("out");
    infra = EmbeddedInfrastructure.start(out, Launcher.registryJar());
    props = new HashMap<>(infra.connection());
    props.put("worker.model.card", "../demo/models/fashion-cnn-standard");
    props.put("worker.max.batch.size", "8");
    props.put("worker.max.batch.wait.ms", "50");
    props.put("aggregator.output.dir", out.toString());
    props.put("uploader.local.dir", out.toString());
    props.put("ingest.watch.interval.ms", "200");
    props.put("aggregator.watch.rewrite.interval.ms", "300");
    props.put("api.port", "0");
    // These two workers share the job under the consumer rebalance protocol (KIP-848); every other
    // pipeline test runs the classic one, the default.
    props.put("kafka.group.protocol", "consumer");
    run = new PipelineRun(props, 1);
    secondWorker = startWorkerProcess();
    awaitGroupMembers("lwise-gpu-worker", 2, Duration.ofMinutes(2));
    run.awaitWorkersAssigned(Duration.ofMinutes(1));
    request =
        new JobRequest(
            TestDataset.create(tmp),
            "fmnist-it",
            "fashion-cnn-standard",
            "class_num",
            true,
            CONDITIONS,
            ImageFormat.PNG,
            null);
    report = run.submit(request, n -> {});
    progress = run.awaitCompletion(report.jobId(), Duration.ofMinutes(5), (done, failed) -> {});
    inProcessShare = run.workers().get(0).imagesDone();
  }

  /**
   * A second gpu-worker as its own JVM, started the way an operator would: `lwise worker --config
   * …`.
   */
  static Process startWorkerProcess() throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-Dai.djl.offline=true",
                "-Dlwise.log.file=" + tmp.resolve("second-worker.log"),
                "-cp",
                System.getProperty("java.class.path"),
                "org.lwise.stream.launcher.Launcher",
                "worker",
                "--config",
                infra.connectionFile().toString(),
                "--model",
                "../demo/models/fashion-cnn-standard")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("second-worker.out").toFile());
    builder.environment().put("DJL_OFFLINE", "true");
    builder.environment().put("OPT_OUT_TRACKING", "true");
    builder.environment().put("LWISE_WORKER_MAX_BATCH_SIZE", "8");
    builder.environment().put("LWISE_WORKER_MAX_BATCH_WAIT_MS", "50");
    builder.environment().put("LWISE_KAFKA_GROUP_PROTOCOL", "consumer");
    // The embedded S3 store's keys, through the environment (never on a command line).
    builder.environment().put("AWS_ACCESS_KEY_ID", System.getProperty("aws.accessKeyId"));
    builder.environment().put("AWS_SECRET_ACCESS_KEY", System.getProperty("aws.secretAccessKey"));
    return builder.start();
  }

  static void awaitGroupMembers(String group, int members, Duration timeout) throws Exception {
    try (var admin = Admin.create(Map.of("bootstrap.servers", props.get("bootstrap.servers")))) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        if (!secondWorker.isAlive()) {
          throw new IllegalStateException(
              "second worker exited: " + Files.readString(tmp.resolve("second-worker.out")));
        }
        ConsumerGroupDescription description;
        try {
          description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof GroupIdNotFoundException)) {
            throw e;
          }
          Thread.sleep(200); // no member has joined yet
          continue;
        }
        if (description.members().size() >= members
            && description.members().stream()
                .allMatch(m -> !m.assignment().topicPartitions().isEmpty())) {
          return;
        }
        Thread.sleep(200);
      }
      throw new IllegalStateException(
          "the consumer group " + group + " did not reach " + members + " members");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (secondWorker != null) {
      secondWorker.destroy();
      secondWorker.waitFor(30, TimeUnit.SECONDS);
    }
    if (run != null) {
      run.close();
    }
    if (infra != null) {
      infra.close();
    }
  }

  @Test
  void shouldAccountForEveryRow() {
    assertThat(report.rows()).isEqualTo(TestDataset.GOOD + TestDataset.BAD);
    assertThat(progress.getCompleted()).isEqualTo(TestDataset.GOOD);
    assertThat(progress.getFailed()).isEqualTo(TestDataset.BAD);
  }

  @Test
  void shouldTallyTheJobsRowsFromTheTopicsAsSubmitWaitShowsThem() {
    try (JobRowTally tally = new JobRowTally(bootstrap(), topics(), report.jobId())) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (tally.accounted() < report.rows() && System.nanoTime() < deadline) {
        tally.poll(Duration.ofMillis(200));
      }
      tally.poll(Duration.ofMillis(500)); // nothing more may arrive: each row counts once
      assertThat(tally.accounted()).isEqualTo(report.rows());
      assertThat(tally.failed()).isEqualTo(TestDataset.BAD);
    }
  }

  @Test
  void shouldReportAFinishedJobsStatusFromTheTopics() {
    CommandRun status =
        CommandRun.of(
            new StatusCommand(), "--config", infra.connectionFile().toString(), report.jobId());
    assertThat(status.code())
        .as(status.output())
        .isEqualTo(2); // finished, with the test dataset's bad rows
    assertThat(status.output())
        .contains(
            report.rows()
                + " rows, "
                + report.rows()
                + " scored or failed ("
                + TestDataset.BAD
                + " failed); dirmaps written: 3 of 3");
    assertThat(
            CommandRun.of(
                    new StatusCommand(),
                    "--config",
                    infra.connectionFile().toString(),
                    "no-such-job")
                .code())
        .isEqualTo(1);
  }

  @Test
  void shouldDeadLetterEachBadRowWithASpecificReason() {
    List<String> reasons = new ArrayList<>();
    TopicReader.readAll(
        bootstrap(),
        topics().deadLetters(),
        (key, dead) -> {
          if (report.jobId().equals(dead.getJobId())) {
            reasons.add(dead.getStage() + ": " + dead.getReason());
          }
        });
    assertThat(reasons).hasSize(TestDataset.BAD);
    assertThat(reasons)
        .anySatisfy(
            r -> assertThat(r).startsWith("ingest").contains("malformed CSV row at line 25"));
    assertThat(reasons)
        .anySatisfy(
            r ->
                assertThat(r)
                    .startsWith("ingest")
                    .contains("image file not found")
                    .contains("missing.png"));
    assertThat(reasons)
        .anySatisfy(r -> assertThat(r).startsWith("ingest").contains("outside the dataset folder"));
    assertThat(reasons)
        .anySatisfy(r -> assertThat(r).startsWith("gpu-worker").contains("broken image"));
    assertThat(reasons)
        .anySatisfy(r -> assertThat(r).startsWith("gpu-worker").contains("wrong label: 42"));
    assertThat(reasons)
        .anySatisfy(r -> assertThat(r).startsWith("ingest").contains("image file is empty"));
    assertThat(reasons)
        .anySatisfy(
            r ->
                assertThat(r)
                    .startsWith("gpu-worker")
                    .contains("truncated.png")
                    .contains("broken image"));
    assertThat(reasons)
        .anySatisfy(
            r ->
                assertThat(r)
                    .startsWith("gpu-worker")
                    .contains("bomb.png")
                    .contains("100000")
                    .contains("worker.max.image.pixels"));
    assertThat(reasons).anySatisfy(r -> assertThat(r).startsWith("ingest").contains("is absolute"));
    assertThat(reasons)
        .anySatisfy(
            r -> assertThat(r).startsWith("ingest").contains("links outside the dataset folder"));
    assertThat(reasons)
        .anySatisfy(
            r -> assertThat(r).startsWith("ingest").contains("label 'abc' is not an integer"));
    assertThat(reasons)
        .anySatisfy(r -> assertThat(r).startsWith("gpu-worker").contains("wrong label: -1"));
    assertThat(reasons)
        .anySatisfy(
            r ->
                assertThat(r)
                    .startsWith("ingest")
                    .contains("duplicate im_path")
                    .contains("row 0 is the first"));
    // Every dead letter names its job and row.
    List<DeadLetter> letters = new ArrayList<>();
    TopicReader.readAll(
        bootstrap(),
        topics().deadLetters(),
        (key, dead) -> {
          if (report.jobId().equals(dead.getJobId())) {
            letters.add(dead);
          }
        });
    assertThat(letters).allSatisfy(dead -> assertThat(dead.getRowIndex()).isNotNull());
  }

  @Test
  void shouldRefuseUnusableDirmapsAtSubmissionWithOneClearLine() throws Exception {
    Path bad = Files.createDirectories(tmp.resolve("unusable"));
    Files.writeString(bad.resolve("empty.csv"), "");
    Files.writeString(
        bad.resolve("no-im-path.csv"), "split,class,class_num,path\ntest,Bag,8,a.png\n");
    Files.write(
        bad.resolve("latin1.csv"),
        "split,class,class_num,im_path\ntest,N\u00e6vus,8,a.png\n"
            .getBytes(StandardCharsets.ISO_8859_1));
    Map<String, String> expected =
        Map.of(
            "empty.csv", "is empty",
            "no-im-path.csv", "im_path",
            "latin1.csv", "is not UTF-8: line 2");
    for (var entry : expected.entrySet()) {
      CommandRun submit =
          CommandRun.lwise(
              "submit",
              "--config",
              infra.connectionFile().toString(),
              "--dirmap",
              bad.resolve(entry.getKey()).toString(),
              "--model",
              "../demo/models/fashion-cnn-standard",
              "--dataset",
              "unusable",
              "--eps",
              "1");
      assertThat(submit.code()).as(submit.output()).isEqualTo(1);
      assertThat(submit.errors().strip())
          .as(entry.getKey())
          .contains(entry.getValue())
          .doesNotContain("\n");
    }
  }

  @Test
  void shouldWriteOneDirmapPerConditionKeepingEveryInputColumn() throws Exception {
    Path out = tmp.resolve("out");
    List<String> conditions = new ArrayList<>(List.of(Conditions.NATURAL));
    CONDITIONS.forEach(c -> conditions.add(c.getId()));
    List<CSVRecord> input;
    try (CSVParser parser = CSVFormat.DEFAULT.parse(Files.newBufferedReader(request.dirmap()))) {
      input = parser.getRecords();
    }
    for (String condition : conditions) {
      Path csv =
          out.resolve("fmnist-it_" + condition).resolve("fmnist-it_" + condition + "_dirmap.csv");
      List<CSVRecord> rows;
      try (CSVParser parser = CSVFormat.DEFAULT.parse(Files.newBufferedReader(csv))) {
        rows = parser.getRecords();
      }
      List<String> header = rows.get(0).toList();
      assertThat(header.subList(0, 6)).isEqualTo(input.get(0).toList());
      assertThat(header.subList(6, header.size()))
          .containsExactly(
              "orig_im_path",
              "output_im_path",
              "robust_gt_logit",
              "difficulty",
              "url",
              "robust_entropy",
              "robust_cross_entropy",
              "robust_predicted_class",
              "image_entropy",
              "dct_relevant_fraction");
      assertThat(rows).hasSize(TestDataset.GOOD + 1);
      for (CSVRecord row : rows.subList(1, rows.size())) {
        assertThat(Double.parseDouble(row.get(14)))
            .as("image_entropy")
            .isBetween(0.0, Math.log(81) / Math.log(2));
        assertThat(Double.parseDouble(row.get(15))).as("dct_relevant_fraction").isBetween(0.0, 1.0);
      }
      double min = Double.MAX_VALUE;
      double max = -Double.MAX_VALUE;
      for (CSVRecord row : rows.subList(1, rows.size())) {
        double logit = Double.parseDouble(row.get(8));
        min = Math.min(min, logit);
        max = Math.max(max, logit);
      }
      Map<String, List<String>> inputByIndex = new HashMap<>();
      input.subList(1, input.size()).forEach(r -> inputByIndex.put(r.get(0), r.toList()));
      for (int i = 1; i < rows.size(); i++) {
        CSVRecord row = rows.get(i);
        assertThat(row.toList().subList(0, 6)).isEqualTo(inputByIndex.get(row.get(0)));
        assertThat(row.get(5)).isEqualTo("kept, as written");
        double logit = Double.parseDouble(row.get(8));
        assertThat(Double.parseDouble(row.get(9)))
            .isCloseTo(1 - (logit - min) / (max - min), Offset.offset(1e-15));
        assertThat(row.get(10)).startsWith(infra.s3Endpoint() + "/lwise-fmnist-it-");
        assertThat(out.resolve("fmnist-it_" + condition).resolve(row.get(7))).exists();
      }
    }
  }

  @Test
  void shouldPutEveryImageInS3OnceWithItsContentType() {
    S3Layout layout = ConnectionConfig.from(props).s3Layout();
    try (S3Client s3 =
        S3Client.builder()
            .endpointOverride(URI.create(infra.s3Endpoint()))
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .build()) {
      List<String> conditions = new ArrayList<>(List.of(Conditions.NATURAL));
      CONDITIONS.forEach(c -> conditions.add(c.getId()));
      for (String condition : conditions) {
        String bucket = layout.bucket("fmnist-it", condition);
        List<S3Object> objects =
            s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream().toList();
        List<S3Object> images =
            objects.stream().filter(o -> o.key().startsWith("images/")).toList();
        assertThat(images).hasSize(TestDataset.GOOD);
        assertThat(objects.stream().filter(o -> o.key().startsWith("_dirmaps/"))).hasSize(2);
        S3Object first = images.get(0);
        HeadObjectResponse head = s3.headObject(b -> b.bucket(bucket).key(first.key()));
        assertThat(head.contentType()).isEqualTo("image/png");
        ResponseBytes<GetObjectResponse> bytes =
            s3.getObjectAsBytes(b -> b.bucket(bucket).key(first.key()));
        assertThat(bytes.response().contentType()).isEqualTo("image/png");
        try {
          assertThat(ImageIO.read(new ByteArrayInputStream(bytes.asByteArray())).getWidth())
              .isEqualTo(28);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }

  @Test
  void shouldProduceEveryOutputExactlyOnceWithBothWorkersSharingTheWork() throws Exception {
    try (var admin = Admin.create(Map.of("bootstrap.servers", props.get("bootstrap.servers")))) {
      for (String group : List.of("lwise-gpu-worker", "lwise-uploader")) {
        assertThat(admin.describeConsumerGroups(List.of(group)).all().get().get(group).type())
            .as(group)
            .isEqualTo(GroupType.CONSUMER);
      }
    }
    String job = report.jobId();
    Map<String, Integer> enhanced = new HashMap<>();
    TopicReader.readAll(
        bootstrap(),
        topics().enhanced(),
        (key, image) -> {
          if (job.equals(image.getJobId())) {
            enhanced.merge(key, 1, Integer::sum);
          }
        });
    Map<String, Integer> scores = new HashMap<>();
    TopicReader.readAll(
        bootstrap(),
        topics().scores(),
        (key, score) -> {
          if (job.equals(score.getJobId())) {
            scores.merge(key, 1, Integer::sum);
          }
        });
    Map<String, Integer> uploads = new HashMap<>();
    TopicReader.readAll(
        bootstrap(),
        topics().uploads(),
        (key, upload) -> {
          if (job.equals(upload.getJobId())) {
            uploads.merge(key, 1, Integer::sum);
          }
        });
    assertThat(enhanced)
        .hasSize(TestDataset.GOOD * 3)
        .allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
    assertThat(scores)
        .hasSize(TestDataset.GOOD)
        .allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
    assertThat(uploads)
        .hasSize(TestDataset.GOOD * 3)
        .allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
    // The in-process worker did part of the job; the worker process did the rest.
    assertThat(inProcessShare).isPositive().isLessThan(TestDataset.GOOD + 2);
    assertThat(secondWorker.isAlive()).isTrue();
  }

  @Test
  void shouldResumeInsteadOfDuplicatingWhenTheSameJobIsSubmittedAgain() {
    long before = countImages(report.jobId());
    IngestReport again = run.submit(request, n -> {});
    assertThat(again.alreadySubmitted()).isTrue();
    assertThat(again.jobId()).isEqualTo(report.jobId());
    assertThat(countImages(report.jobId())).isEqualTo(before);
  }

  @Test
  void shouldScoreRowsAppendedLaterAgainstTheFinishedJobsRange() throws Exception {
    Path natural = tmp.resolve("out/fmnist-it_natural/fmnist-it_natural_dirmap.csv");
    List<Double> referenceLogits = new ArrayList<>();
    try (CSVParser parser = CSVFormat.DEFAULT.parse(Files.newBufferedReader(natural))) {
      parser.getRecords().stream()
          .skip(1)
          .forEach(r -> referenceLogits.add(Double.parseDouble(r.get(8))));
    }
    double min = referenceLogits.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    double max = referenceLogits.stream().mapToDouble(Double::doubleValue).max().orElseThrow();

    // Its own copy of the dataset, under its own name: appending to the reference job's dirmap or
    // uploading into its buckets would change what the other scenarios read.
    Path watched = TestDataset.create(tmp.resolve("watched"));
    var watcher =
        run.watch(
            new JobRequest(
                watched,
                "fmnist-watch",
                "fashion-cnn-standard",
                "class_num",
                true,
                CONDITIONS,
                ImageFormat.PNG,
                report.jobId()),
            null);
    long waitStart = System.nanoTime();
    while (watcher.published() == 0
        && System.nanoTime() - waitStart < Duration.ofSeconds(30).toNanos()) {
      Thread.sleep(50); // the watcher records where the dirmap ends before rows are appended
    }
    Path root = watched.getParent();
    Files.copy(
        Path.of("../demo/fashion-mnist/images/bag/t10k-105.png"), root.resolve("images/new-1.png"));
    Files.copy(
        Path.of("../demo/fashion-mnist/images/trouser/t10k-128.png"),
        root.resolve("images/new-2.png"));
    int next = TestDataset.GOOD + TestDataset.BAD;
    Files.writeString(
        watched,
        next
            + ",test,Bag,8,images/new-1.png,new\n"
            + (next + 1)
            + ",test,Trouser,1,images/new-2.png,new\n",
        StandardOpenOption.APPEND);

    Path incoming =
        tmp.resolve("out/fmnist-watch_natural/fmnist-watch_natural_incoming_dirmap.csv");
    List<CSVRecord> rows = List.of();
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(incoming)) {
        try (CSVParser parser = CSVFormat.DEFAULT.parse(Files.newBufferedReader(incoming))) {
          rows = parser.getRecords();
        }
        if (rows.size() == 3) {
          break;
        }
      }
      Thread.sleep(200);
    }
    assertThat(watcher.published()).isEqualTo(TestDataset.GOOD + TestDataset.BAD + 2);
    assertThat(watcher.newRows()).isEqualTo(2);
    assertThat(rows).hasSize(3);
    for (CSVRecord row : rows.subList(1, 3)) {
      assertThat(row.get(5)).isEqualTo("new");
      double logit = Double.parseDouble(row.get(8));
      // Scored against the reference job's range, so it may fall outside [0, 1].
      assertThat(Double.parseDouble(row.get(9)))
          .isCloseTo(1 - (logit - min) / (max - min), Offset.offset(1e-12));
      assertThat(row.get(10)).contains("/lwise-fmnist-watch-natural/images/new-");
    }
    // The reference job's own dirmap is left as it was.
    assertThat(Files.readAllLines(natural)).hasSize(TestDataset.GOOD + 1);
  }

  @Test
  void shouldDeadLetterCorruptRecordsAndKeepRunning() throws Exception {
    try (var producer =
        new KafkaProducer<byte[], byte[]>(
            Map.of(
                "bootstrap.servers", bootstrap(),
                "key.serializer", ByteArraySerializer.class,
                "value.serializer", ByteArraySerializer.class))) {
      producer
          .send(new ProducerRecord<>("lwise.images", "corrupt/1".getBytes(), "not avro".getBytes()))
          .get();
      producer
          .send(
              new ProducerRecord<>(
                  "lwise.scores", "corrupt/2".getBytes(), "not avro either".getBytes()))
          .get();
    }
    List<String> reasons = new ArrayList<>();
    long[] aggregatorDeadLetters = {0};
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (System.nanoTime() < deadline) {
      reasons.clear();
      TopicReader.readAll(
          bootstrap(),
          topics().deadLetters(),
          (key, dead) -> {
            if ("corrupt/1".equals(key)) {
              reasons.add(dead.getStage() + ": " + dead.getReason());
            }
          });
      aggregatorDeadLetters[0] = 0;
      var raw = new Topic<>("lwise.aggregator-dead-letters", Serdes.String(), Serdes.ByteArray());
      TopicReader.readAll(
          bootstrap(),
          raw,
          (key, value) -> {
            if ("corrupt/2".equals(key)) {
              aggregatorDeadLetters[0]++;
            }
          });
      if (!reasons.isEmpty() && aggregatorDeadLetters[0] > 0) {
        break;
      }
      Thread.sleep(300);
    }
    assertThat(reasons)
        .singleElement()
        .satisfies(r -> assertThat(r).startsWith("gpu-worker: unreadable image record"));
    assertThat(aggregatorDeadLetters[0]).isEqualTo(1);
    assertThat(run.aggregator().state()).isEqualTo(KafkaStreams.State.RUNNING);
    assertThat(run.progress(report.jobId()).getEmitted()).isTrue();
  }

  @Test
  void shouldStageLargeImagesInS3AndSendThemByReference() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("large"));
    Files.createDirectories(root.resolve("images"));
    Files.copy(
        Path.of("../method/src/test/resources/reference/images/tall_rgb.tif"),
        root.resolve("images/big.tif"));
    Files.copy(
        Path.of("../demo/fashion-mnist/images/bag/t10k-105.png"), root.resolve("images/small.png"));
    Files.writeString(
        root.resolve("dirmap.csv"),
        "split,class,class_num,im_path\n"
            + "test,Bag,8,images/big.tif\ntest,Bag,8,images/small.png\n");
    Map<String, String> staged = new HashMap<>(props);
    staged.put("ingest.inline.image.max.bytes", "1024");
    JobRequest large =
        new JobRequest(
            root.resolve("dirmap.csv"),
            "fmnist-large",
            "fashion-cnn-standard",
            "class_num",
            true,
            List.of(),
            ImageFormat.PNG,
            null);
    IngestReport submitted;
    try (var ingest = new IngestApp(IngestConfig.from(staged))) {
      submitted = ingest.submit(large, n -> {});
    }
    JobProgress done = run.awaitCompletion(submitted.jobId(), Duration.ofMinutes(2), (d, f) -> {});
    assertThat(done.getCompleted()).isEqualTo(2);
    List<ImageRecord> records = new ArrayList<>();
    TopicReader.readAll(
        bootstrap(),
        topics().images(),
        (key, record) -> {
          if (record.getJobId().equals(submitted.jobId())) {
            records.add(record);
          }
        });
    assertThat(records).hasSize(2);
    var big =
        records.stream().filter(r -> r.getImPath().endsWith("big.tif")).findFirst().orElseThrow();
    assertThat(big.getImage()).isNull();
    assertThat(big.getImageRef().getBucket()).isEqualTo("lwise-staging");
    assertThat(big.getImageRef().getKey()).isEqualTo("inputs/" + big.getSha256());
    var small =
        records.stream().filter(r -> r.getImPath().endsWith("small.png")).findFirst().orElseThrow();
    assertThat(small.getImage()).isNotNull();
    assertThat(small.getImageRef()).isNull();
  }

  @Test
  void shouldSubmitToARunningPipelineAndWaitForItsDirmaps() {
    CommandRun submit =
        CommandRun.of(
            new SubmitCommand(),
            "--config",
            infra.connectionFile().toString(),
            "--dirmap",
            request.dirmap().toString(),
            "--model",
            "../demo/models/fashion-cnn-standard",
            "--dataset",
            "fmnist-submitted",
            "--eps",
            "1",
            "--wait",
            "--timeout-minutes",
            "3");
    String output = submit.output();
    assertThat(submit.code()).as(output).isEqualTo(2); // the test dataset's bad rows
    assertThat(output)
        .contains("natural")
        .contains("1_0.5_2_logit")
        .contains(TestDataset.GOOD + " rows, " + TestDataset.BAD + " failed");
    assertThat(tmp.resolve("out/fmnist-submitted_natural/fmnist-submitted_natural_dirmap.csv"))
        .exists();
  }

  @Test
  void shouldFailEveryRowOfAJobForAModelTheWorkersDoNotRun() throws Exception {
    // The workers run fashion-cnn-standard; scoring with it would silently give another model's
    // numbers.
    JobRequest otherModel =
        new JobRequest(
            request.dirmap(),
            "fmnist-other-model",
            "fashion-cnn-robust",
            "class_num",
            true,
            CONDITIONS,
            ImageFormat.PNG,
            null);
    IngestReport submitted = run.submit(otherModel, n -> {});
    JobProgress done = run.awaitCompletion(submitted.jobId(), Duration.ofMinutes(2), (d, f) -> {});
    assertThat(done.getCompleted()).isZero();
    assertThat(done.getFailed()).isEqualTo(submitted.rows());
    List<String> reasons = new ArrayList<>();
    TopicReader.readAll(
        bootstrap(),
        topics().deadLetters(),
        (key, dead) -> {
          if (submitted.jobId().equals(dead.getJobId()) && "gpu-worker".equals(dead.getStage())) {
            reasons.add(dead.getReason());
          }
        });
    assertThat(reasons)
        .isNotEmpty()
        .anySatisfy(
            r ->
                assertThat(r)
                    .contains(
                        "wrong model: job "
                            + submitted.jobId()
                            + " asks for model 'fashion-cnn-robust'")
                    .contains("this gpu-worker runs 'fashion-cnn-standard'"));
    assertThat(tmp.resolve("out/fmnist-other-model_natural/fmnist-other-model_natural_dirmap.csv"))
        .exists();
  }

  @Test
  void shouldCountAnUnreadableRecordAgainstTheJobAndRowItsKeyNames() throws Exception {
    // A job of two rows whose second image record is garbage: the worker cannot read the value,
    // but the key names job and row, so the dead letter is attributed and the job completes.
    Job job = TopicReader.latest(bootstrap(), topics().jobs()).get(report.jobId());
    job.setJobId("garbled-" + System.nanoTime());
    job.setDataset("fmnist-garbled");
    job.setRowCount(2);
    job.setConditions(List.of());
    Set<Long> scoredRows = new HashSet<>();
    TopicReader.readAll(
        bootstrap(),
        topics().scores(),
        (key, score) -> {
          if (score.getJobId().equals(report.jobId())) {
            scoredRows.add(score.getRowIndex());
          }
        });
    ImageRecord good =
        TopicReader.latest(bootstrap(), topics().images()).values().stream()
            .filter(
                r -> r.getJobId().equals(report.jobId()) && scoredRows.contains(r.getRowIndex()))
            .findFirst()
            .orElseThrow();
    good.setJobId(job.getJobId());
    good.setRowIndex(0);
    good.getContext().setDataset(job.getDataset());
    good.getContext().setConditions(List.of());
    try (var producer = KafkaClients.transactionalProducer(bootstrap(), "garbled-it", Map.of())) {
      producer.initTransactions();
      producer.beginTransaction();
      TopicProducer out = new TopicProducer(producer);
      out.send(topics().jobs(), job.getJobId(), job);
      out.send(topics().images(), RecordKeys.row(job.getJobId(), 0), good);
      producer.send(
          new ProducerRecord<>(
              topics().images().name(),
              RecordKeys.row(job.getJobId(), 1).getBytes(StandardCharsets.UTF_8),
              new byte[] {0, 0, 0, 0, 9, 1}));
      producer.commitTransaction();
    }
    JobProgress done = run.awaitCompletion(job.getJobId(), Duration.ofMinutes(2), (d, f) -> {});
    assertThat(done.getCompleted()).isEqualTo(1);
    assertThat(done.getFailed()).isEqualTo(1);
    List<DeadLetter> dead = new ArrayList<>();
    TopicReader.readAll(
        bootstrap(),
        topics().deadLetters(),
        (key, letter) -> {
          if (job.getJobId().equals(letter.getJobId())) {
            dead.add(letter);
          }
        });
    assertThat(dead)
        .singleElement()
        .satisfies(
            letter -> {
              assertThat(letter.getRowIndex()).isEqualTo(1L);
              assertThat(letter.getStage()).isEqualTo("gpu-worker");
              assertThat(letter.getReason()).startsWith("unreadable image record at lwise.images-");
            });
  }

  private static long countImages(String jobId) {
    long[] count = {0};
    TopicReader.readAll(
        bootstrap(),
        topics().images(),
        (key, value) -> {
          if (jobId.equals(value.getJobId())) {
            count[0]++;
          }
        });
    return count[0];
  }

  private static String bootstrap() {
    return props.get("bootstrap.servers");
  }

  private static PipelineTopics topics() {
    return PipelineTopics.create(new RegistrySerdes(props.get("registry.url")));
  }
}
