package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.JobProgress;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;

/**
 * Outputs that experiment code uses as they are, on the embedded default's real servers: one {@code
 * lwise run} process configured like a lab's AWS setup, then the same servers started again to
 * reach them as other clients do (the aws CLI's credentials file, a stage from another shell, a
 * participant's browser on another origin).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddedRunIT {
  static final String EXPERIMENT_ORIGIN = "http://experiments.example";
  static final String AWS_TEMPLATE = "https://{bucket}.s3.amazonaws.com/{key}";

  /**
   * The sweep's condition ids and their buckets, as SPEC.md names them (prefix morgan, dataset
   * fmnist).
   */
  static final Map<String, String> BUCKETS =
      Map.of(
          "natural", "morgan-fmnist-natural",
          "0.25_0.5_1_logit_diverge", "morgan-fmnist-0dot25-0dot5-1-logit-diverge",
          "0.5_0.5_1_logit_diverge", "morgan-fmnist-0dot5-0dot5-1-logit-diverge",
          "1_0.5_2_logit_diverge", "morgan-fmnist-1-0dot5-2-logit-diverge");

  @TempDir static Path tmp;
  static Path out;
  static Path dirmap;
  static int runExit;
  static String console;
  static String runLog;
  static String runSecret;
  static String runAccessKey;
  static String runCredentialsPermissions;
  static EmbeddedInfrastructure infra;

  @BeforeAll
  static void runOnce() throws Exception {
    out = tmp.resolve("out");
    dirmap = smallDataset(tmp.resolve("fmnist"), 4);
    Path config = tmp.resolve("lab.properties");
    // A lab's file: its own bucket prefix and the AWS URL shape, and a model and output folder that
    // --model and --out must override.
    Files.writeString(
        config,
        String.join(
            "\n",
            "s3.bucket.prefix=morgan",
            "s3.url.template=" + AWS_TEMPLATE,
            "s3.cors.origins=" + EXPERIMENT_ORIGIN,
            "worker.model.card=../demo/models/fashion-cnn-standard",
            "aggregator.output.dir=" + tmp.resolve("not-here"),
            "worker.max.batch.wait.ms=50",
            ""));
    long started = System.nanoTime();
    Process run = runLabJob(tmp.resolve("run.console"));
    assertThat(run.waitFor(6, TimeUnit.MINUTES)).as("lwise run ended").isTrue();
    runExit = run.exitValue();
    System.out.printf(
        "lwise run: exit %d after %.1f s%n", runExit, (System.nanoTime() - started) / 1e9);
    console = Files.readString(tmp.resolve("run.console"));
    runLog = Files.readString(tmp.resolve("lwise.log"));
    assertThat(runExit).as("lwise run's console:%n%s", console).isZero();
    // Read now: the next start of the servers writes new keys.
    Path credentials = out.resolve(".embedded/credentials");
    Properties keys = new Properties();
    try (Reader reader = Files.newBufferedReader(credentials)) {
      keys.load(reader); // "[default]" reads as a key without value
    }
    runAccessKey = keys.getProperty("aws_access_key_id");
    runSecret = keys.getProperty("aws_secret_access_key");
    runCredentialsPermissions =
        PosixFilePermissions.toString(Files.getPosixFilePermissions(credentials));
  }

  /**
   * The Launcher in its own JVM, logging as {@code ./lwise} does (lwise.log plus a quiet console),
   * no AWS_* variables.
   */
  static ProcessBuilder launcher(Path consoleFile, String... args) {
    return launcher(tmp.resolve("lwise.log"), consoleFile, args);
  }

  /** The same, logging to {@code logFile}. */
  static ProcessBuilder launcher(Path logFile, Path consoleFile, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-Dai.djl.offline=true",
                "-Dlogback.configurationFile="
                    + Path.of("target/classes/logback.xml").toAbsolutePath(),
                "-Dlwise.log.file=" + logFile,
                "-Dlwise.registry.jar=" + Launcher.registryJar().toAbsolutePath(),
                "-cp",
                System.getProperty("java.class.path"),
                Launcher.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(consoleFile.toFile());
    builder
        .environment()
        .keySet()
        .removeIf(name -> name.startsWith("AWS_") || name.startsWith("LWISE_"));
    builder.environment().put("DJL_OFFLINE", "true");
    builder.environment().put("OPT_OUT_TRACKING", "true");
    return builder;
  }

  /**
   * The first {@code rows} demo images with their dirmap rows, in a folder named like the dataset.
   */
  static Path smallDataset(Path folder, int rows) throws IOException {
    Path demo = Path.of("../demo/fashion-mnist");
    List<String> lines = Files.readAllLines(demo.resolve("dirmap.csv"));
    List<String> kept = new ArrayList<>(lines.subList(0, rows + 1));
    for (String line : kept.subList(1, kept.size())) {
      String imPath = line.split(",")[4];
      Files.createDirectories(folder.resolve(imPath).getParent());
      Files.copy(demo.resolve(imPath), folder.resolve(imPath));
    }
    Path file = folder.resolve("dirmap.csv");
    Files.write(file, kept);
    return file;
  }

  static List<CSVRecord> rows(Path csv) {
    try (CSVParser parser =
        CSVParser.parse(
            csv,
            StandardCharsets.UTF_8,
            CSVFormat.DEFAULT
                .builder()
                .setHeader()
                .setSkipHeaderRecord(true)
                .setAllowMissingColumnNames(true)
                .build())) {
      return parser.getRecords();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterAll
  static void stop() {
    if (infra != null) {
      infra.close();
    }
  }

  /**
   * The README's run as a lab configures it ({@code lab.properties}), console in {@code
   * consoleFile}.
   */
  static Process runLabJob(Path consoleFile) throws IOException {
    return launcher(
            consoleFile,
            "run",
            "--dirmap",
            dirmap.toString(),
            "--model",
            "../demo/models/fashion-cnn-robust",
            "--eps",
            "0.25,0.5,1",
            "--objective",
            "logit_diverge",
            "--out",
            out.toString(),
            "--config",
            tmp.resolve("lab.properties").toString())
        .start();
  }

  @Test
  @Order(0)
  void shouldReportAFinishedJobAgainWithoutStartingAServerWhileItsDirmapsAreUnchanged()
      throws Exception {
    Process again = runLabJob(tmp.resolve("again.console"));
    assertThat(again.waitFor(2, TimeUnit.MINUTES)).isTrue();
    String rerun = Files.readString(tmp.resolve("again.console"));
    assertThat(again.exitValue()).as(rerun).isZero();
    assertThat(rerun)
        .contains("was finished by an earlier run", "(finished by an earlier run)")
        .doesNotContain("Starting the embedded");
    // The same rows, dirmaps and buckets as the run printed.
    for (String line :
        console.lines().filter(l -> l.contains("dirmap ") || l.contains("S3 bucket ")).toList()) {
      assertThat(rerun).contains(line);
    }

    // A dirmap gone: the record no longer vouches for the job, and Kafka is asked again.
    Path natural = out.resolve("fmnist_natural/fmnist_natural_dirmap.csv");
    Path aside = tmp.resolve("natural-dirmap.csv");
    Files.move(natural, aside);
    try {
      Process checked = runLabJob(tmp.resolve("checked.console"));
      assertThat(checked.waitFor(3, TimeUnit.MINUTES)).isTrue();
      String fromKafka = Files.readString(tmp.resolve("checked.console"));
      assertThat(checked.exitValue()).as(fromKafka).isZero();
      assertThat(fromKafka).contains("Starting the embedded", "was finished by an earlier run");
    } finally {
      Files.move(aside, natural);
    }
  }

  @Test
  @Order(1)
  void shouldWriteAwsUrlsInTheLabsBucketsWhenTheFileAsksForThem() {
    assertThat(tmp.resolve("not-here"))
        .as("--out wins over the file's aggregator.output.dir")
        .doesNotExist();
    BUCKETS.forEach(
        (condition, bucket) -> {
          List<CSVRecord> rows =
              rows(
                  out.resolve("fmnist_" + condition)
                      .resolve("fmnist_" + condition + "_dirmap.csv"));
          // --model wins over the file's model card: no row is dead-lettered as "wrong model".
          assertThat(rows).as(condition).hasSize(4);
          assertThat(rows)
              .allSatisfy(
                  row ->
                      assertThat(row.get("url"))
                          .isEqualTo(
                              "https://" + bucket + ".s3.amazonaws.com/" + row.get("im_path")));
        });
  }

  @Test
  @Order(1)
  void shouldWriteTheJobsReportNextToItsDirmapsAndPrintItsPath() throws IOException {
    Path report = out.resolve("fmnist_report.html").toAbsolutePath().normalize();
    assertThat(console)
        .contains(
            "Report: " + report,
            "https://morgan-fmnist-natural.s3.amazonaws.com/_dirmaps/fmnist_report.html");
    assertThat(Files.readString(report))
        .contains("<canvas", "id=\"enhancements\"", "image_entropy: Spearman ρ");
    assertThat(out.resolve("s3/morgan-fmnist-natural/_dirmaps/fmnist_report.html"))
        .hasSameTextualContentAs(report);
  }

  @Test
  @Order(2)
  void shouldTellHowToUseTheStoresKeysWithoutShowingThem() throws Exception {
    Properties ports = new Properties();
    try (Reader reader = Files.newBufferedReader(out.resolve(".embedded/ports.properties"))) {
      ports.load(reader);
    }
    Path absoluteOut = out.toAbsolutePath().normalize();
    assertThat(console)
        .contains(
            "AWS_SHARED_CREDENTIALS_FILE="
                + absoluteOut.resolve(".embedded/credentials")
                + " aws --endpoint-url http://127.0.0.1:"
                + ports.getProperty("s3.port")
                + " s3 ls");
    assertThat(console)
        .contains(
            "lwise worker --config " + absoluteOut.resolve(".embedded/connection.properties"));
    assertThat(runSecret).hasSize(40);
    assertThat(runCredentialsPermissions).isEqualTo("rw-------");
    assertThat(runLog).contains("S3 (S3Proxy) ready at");
    for (String text : List.of(console, runLog)) {
      assertThat(text).doesNotContain(runSecret).doesNotContain(runAccessKey);
    }
    try (Stream<Path> files = Files.list(out.resolve(".embedded"))) {
      for (Path file :
          files.filter(Files::isRegularFile).filter(f -> !f.endsWith("credentials")).toList()) {
        assertThat(Files.readString(file)).as(file.toString()).doesNotContain(runSecret);
      }
    }
  }

  @Test
  @Order(3)
  void shouldLetAPlainSdkClientUseTheCredentialsFile() throws Exception {
    infra = EmbeddedInfrastructure.start(out, Launcher.registryJar(), List.of(EXPERIMENT_ORIGIN));
    ProfileCredentialsProvider profile =
        ProfileCredentialsProvider.builder()
            .profileFile(
                ProfileFile.builder()
                    .content(infra.credentialsFile())
                    .type(ProfileFile.Type.CREDENTIALS)
                    .build())
            .profileName("default")
            .build();
    try (S3Client s3 =
        S3Client.builder()
            .endpointOverride(URI.create(infra.s3Endpoint()))
            .forcePathStyle(true)
            .region(Region.US_EAST_1)
            .credentialsProvider(profile)
            .build()) {
      assertThat(s3.listBuckets().buckets()).extracting(Bucket::name).containsAll(BUCKETS.values());
      String key = rows(dirmap).get(0).get("im_path");
      byte[] object =
          s3.getObjectAsBytes(b -> b.bucket(BUCKETS.get("natural")).key(key)).asByteArray();
      assertThat(object)
          .isEqualTo(
              Files.readAllBytes(out.resolve("s3").resolve(BUCKETS.get("natural")).resolve(key)));
    }
  }

  @Test
  @Order(4)
  void shouldLetAStageFromAnotherShellFetchStagedInputsWithTheConnectionFileAlone()
      throws Exception {
    // Images over ingest.inline.image.max.bytes are staged in S3: the worker must read them itself.
    Path staged = tmp.resolve("staged");
    Path image = staged.resolve("images/noise.png");
    Files.createDirectories(image.getParent());
    BufferedImage noise = new BufferedImage(160, 160, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(7);
    for (int y = 0; y < 160; y++) {
      for (int x = 0; x < 160; x++) {
        noise.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    ImageIO.write(noise, "png", image.toFile());
    assertThat(Files.size(image)).isGreaterThan(2048);
    Files.writeString(
        staged.resolve("dirmap.csv"),
        "split,class,class_num,im_path\ntrain,T-shirt/top,0,images/noise.png\n");

    ProcessBuilder builder =
        launcher(
            tmp.resolve("worker.console"),
            "worker",
            "--config",
            infra.connectionFile().toString(),
            "--model",
            "../demo/models/fashion-cnn-robust");
    builder.environment().put("LWISE_RETRY_TIMEOUT_MS", "20000"); // without the keys: give up soon
    Process worker = builder.start();
    Map<String, String> props = new HashMap<>(infra.connection());
    props.put("worker.model.card", "../demo/models/fashion-cnn-robust");
    props.put("ingest.inline.image.max.bytes", "2048");
    props.put("aggregator.output.dir", tmp.resolve("staged-out").toString());
    props.put("api.port", "0");
    try (PipelineRun run = new PipelineRun(props, 0)) {
      awaitOneWorkerAssigned(props.get("bootstrap.servers"), worker);
      IngestReport report =
          run.submit(
              new JobRequest(
                  staged.resolve("dirmap.csv"),
                  "staged",
                  "fashion-cnn-robust",
                  "class_num",
                  true,
                  List.of(),
                  ImageFormat.PNG,
                  null),
              n -> {});
      JobProgress progress =
          run.awaitCompletion(report.jobId(), Duration.ofMinutes(2), (done, failed) -> {});
      assertThat(progress.getFailed()).as(Files.readString(tmp.resolve("worker.console"))).isZero();
      assertThat(progress.getCompleted()).isEqualTo(1);
      try (Stream<Path> stagedObjects = Files.walk(out.resolve("s3/lwise-staging"))) {
        assertThat(stagedObjects.filter(Files::isRegularFile).count())
            .as("the image went through S3")
            .isPositive();
      }
    } finally {
      worker.destroy();
      worker.waitFor(30, TimeUnit.SECONDS);
    }
  }

  static void awaitOneWorkerAssigned(String bootstrap, Process worker) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (System.nanoTime() < deadline) {
        assertThat(worker.isAlive())
            .as("worker process: %s", Files.readString(tmp.resolve("worker.console")))
            .isTrue();
        try {
          ConsumerGroupDescription group =
              admin
                  .describeConsumerGroups(List.of("lwise-gpu-worker"))
                  .all()
                  .get()
                  .get("lwise-gpu-worker");
          if (group.members().stream().anyMatch(m -> !m.assignment().topicPartitions().isEmpty())) {
            return;
          }
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof GroupIdNotFoundException)) {
            throw e;
          }
        }
        Thread.sleep(200);
      }
      throw new IllegalStateException("the worker process got no partitions within 2 minutes");
    }
  }

  @Test
  @Order(5)
  void shouldAnswerCorsForTheExperimentsOriginOnImagesAndDirmaps() throws Exception {
    String key = rows(dirmap).get(0).get("im_path");
    String bucket = BUCKETS.get("1_0.5_2_logit_diverge");
    HttpClient http = HttpClient.newHttpClient();
    for (String path :
        List.of(
            bucket + "/" + key, bucket + "/_dirmaps/fmnist_1_0.5_2_logit_diverge_dirmap.json")) {
      URI url = URI.create(infra.s3Endpoint() + "/" + path);
      HttpResponse<byte[]> get =
          http.send(
              HttpRequest.newBuilder(url).header("Origin", EXPERIMENT_ORIGIN).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(get.statusCode()).as(path).isEqualTo(200);
      assertThat(get.headers().firstValue("Access-Control-Allow-Origin"))
          .as(path)
          .hasValue(EXPERIMENT_ORIGIN);

      HttpResponse<Void> preflight =
          http.send(
              HttpRequest.newBuilder(url)
                  .header("Origin", EXPERIMENT_ORIGIN)
                  .header("Access-Control-Request-Method", "GET")
                  .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      assertThat(preflight.statusCode()).as(path).isEqualTo(200);
      assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin"))
          .hasValue(EXPERIMENT_ORIGIN);
      assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods").orElse(""))
          .contains("GET");

      HttpResponse<Void> elsewhere =
          http.send(
              HttpRequest.newBuilder(url)
                  .header("Origin", "http://elsewhere.example")
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      assertThat(elsewhere.headers().firstValue("Access-Control-Allow-Origin"))
          .as("an origin not listed")
          .isEmpty();
    }
  }
}
