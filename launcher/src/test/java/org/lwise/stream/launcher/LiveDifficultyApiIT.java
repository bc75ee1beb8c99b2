package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.aggregator.AggregatorApp;
import org.lwise.stream.aggregator.AggregatorConfig;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.HeadlessChromium;
import org.lwise.stream.ingest.DirmapWatcher;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Objective;
import org.openqa.selenium.By;

/**
 * The live difficulty API against the running pipeline on the embedded servers, with two aggregator
 * instances of one application: every request is asked of both, so one of them always answers for
 * data the other holds. Responses are checked against the OpenAPI document.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveDifficultyApiIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<Condition> CONDITIONS =
      List.of(
          Conditions.create(1, 0.5, null, Objective.LOGIT, List.of(), false),
          Conditions.create(2, 0.5, null, Objective.LOGIT, List.of(), false));
  private static final String LARGE = "2_0.5_4_logit";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path tmp;
  static EmbeddedInfrastructure infra;
  static PipelineRun run;
  static AggregatorApp second;
  static String apiA;
  static String apiB;
  static Map<String, IngestReport> jobs = new LinkedHashMap<>();
  static Map<String, JobRequest> requests = new HashMap<>();
  static JsonNode openApi;

  @BeforeAll
  static void startPipelineWithTwoAggregators() throws Exception {
    Path out = tmp.resolve("out");
    infra = EmbeddedInfrastructure.start(out, Launcher.registryJar());
    Map<String, String> props = new HashMap<>(infra.connection());
    props.put("worker.model.card", "../demo/models/fashion-cnn-robust");
    props.put("worker.max.batch.size", "16");
    props.put("aggregator.output.dir", out.toString());
    props.put("uploader.local.dir", out.toString());
    props.put("ingest.watch.interval.ms", "200");
    props.put("aggregator.watch.rewrite.interval.ms", "300");
    props.put("api.port", "0");
    run = new PipelineRun(props, 1);
    Map<String, String> secondProps = new HashMap<>(props);
    secondProps.put("aggregator.state.dir", tmp.resolve("second-state").toString());
    second = new AggregatorApp(AggregatorConfig.from(secondProps));
    second.start(Duration.ofMinutes(2));
    apiA = run.aggregator().apiUrl();
    apiB = second.apiUrl();
    run.awaitWorkersAssigned(Duration.ofMinutes(1));
    // Three datasets, so that (almost surely) each instance holds at least one job group.
    for (String dataset : List.of("api-a", "api-b", "api-c")) {
      JobRequest request =
          new JobRequest(
              subset(tmp.resolve(dataset), 6),
              dataset,
              "fashion-cnn-robust",
              "class_num",
              true,
              CONDITIONS,
              ImageFormat.PNG,
              null);
      requests.put(dataset, request);
      jobs.put(dataset, run.submit(request, n -> {}));
    }
    for (IngestReport report : jobs.values()) {
      run.awaitCompletion(report.jobId(), Duration.ofMinutes(5), (done, failed) -> {});
    }
    openApi = getJson(apiA + "openapi.json");
  }

  @AfterAll
  static void stop() {
    if (second != null) {
      second.close();
    }
    if (run != null) {
      run.close();
    }
    if (infra != null) {
      infra.close();
    }
  }

  /**
   * The first {@code perClass} demo images of each class: all but the last of each in train, the
   * last in test.
   */
  static Path subset(Path root, int perClass) throws IOException {
    Path demo = Path.of("../demo/fashion-mnist");
    List<String> lines = Files.readAllLines(demo.resolve("dirmap.csv"));
    Map<String, Integer> taken = new HashMap<>();
    StringBuilder csv = new StringBuilder(",split,class,class_num,im_path,size\n");
    int index = 0;
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",");
      int n = taken.merge(cells[2], 1, Integer::sum);
      if (n > perClass) {
        continue;
      }
      Path image = root.resolve(cells[4]);
      Files.createDirectories(image.getParent());
      Files.copy(demo.resolve(cells[4]), image);
      csv.append(index++)
          .append(',')
          .append(n < perClass ? "train" : "test")
          .append(',')
          .append(cells[2])
          .append(',')
          .append(cells[3])
          .append(',')
          .append(cells[4])
          .append(",28\n");
    }
    Files.writeString(root.resolve("dirmap.csv"), csv.toString());
    return root.resolve("dirmap.csv");
  }

  @Test
  @Order(1)
  void bothInstancesListTheSameDatasetsAndJobs() throws Exception {
    JsonNode datasets = getJson(apiA + "datasets");
    assertThat(getJson(apiB + "datasets")).isEqualTo(datasets);
    conforms(
        datasets.toString(),
        "#/paths/~1datasets/get/responses/200/content/application~1json/schema");
    assertThat(datasets.get("datasets"))
        .extracting(d -> d.get("dataset").asText())
        .containsExactly("api-a", "api-b", "api-c");
    JsonNode a = datasets.get("datasets").get(0);
    assertThat(a.get("job_id").asText()).isEqualTo(jobs.get("api-a").jobId());
    assertThat(a.get("complete").asBoolean()).isTrue();
    assertThat(a.get("images").asInt()).isEqualTo(60);
    assertThat(a.get("classes")).hasSize(10);
    assertThat(a.get("classes").get(0).asText()).isEqualTo("T-shirt/top"); // class_num 0 first
    assertThat(a.get("conditions"))
        .extracting(c -> c.get("id").asText())
        .containsExactly("natural", "1_0.5_2_logit", LARGE);

    JsonNode list = getJson(apiB + "jobs");
    assertThat(getJson(apiA + "jobs")).isEqualTo(list);
    conforms(list.toString(), "#/paths/~1jobs/get/responses/200/content/application~1json/schema");
    assertThat(list.get("jobs")).hasSize(3);
    for (IngestReport report : jobs.values()) {
      JsonNode fromA = getJson(apiA + "jobs/" + report.jobId());
      assertThat(getJson(apiB + "jobs/" + report.jobId())).isEqualTo(fromA);
      assertThat(fromA.get("rows").asInt()).isEqualTo(60);
      assertThat(fromA.get("scored").asInt()).isEqualTo(60);
      assertThat(fromA.get("uploaded").asInt()).isEqualTo(60);
      assertThat(fromA.get("complete").asBoolean()).isTrue();
    }
  }

  @Test
  @Order(2)
  void imagesAreTypedOrderedAndPagedIdenticallyOnBothInstances() throws Exception {
    JsonNode all = getJson(apiA + "datasets/api-b/images?limit=1000");
    assertThat(getJson(apiB + "datasets/api-b/images?limit=1000")).isEqualTo(all);
    conforms(
        all.toString(),
        "#/paths/~1datasets~1{dataset}~1images/get/responses/200/content/application~1json/schema");
    assertThat(all.get("total").asInt()).isEqualTo(60);
    JsonNode first = all.get("images").get(0);
    assertThat(first.get("class_num").isIntegralNumber()).isTrue();
    assertThat(first.get("size").isIntegralNumber()).isTrue();
    assertThat(first.get("robust_gt_logit").isDouble()).isTrue();
    assertThat(first.get("urls").fieldNames())
        .toIterable()
        .containsExactlyInAnyOrder("natural", "1_0.5_2_logit", LARGE);
    assertThat(first.get("url").asText()).isEqualTo(first.get("urls").get("natural").asText());
    List<Double> difficulties = new ArrayList<>();
    all.get("images").forEach(i -> difficulties.add(i.get("difficulty").asDouble()));
    assertThat(difficulties).contains(0.0, 1.0).allMatch(d -> d >= 0 && d <= 1);

    JsonNode easiest = getJson(apiB + "datasets/api-b/images?order=difficulty&split=train&limit=7");
    assertThat(easiest.get("total").asInt()).isEqualTo(50);
    assertThat(easiest.get("images")).hasSize(7);
    JsonNode next =
        getJson(
            apiA
                + "datasets/api-b/images?order=difficulty&split=train&limit=7&cursor="
                + easiest.get("next_cursor").asText());
    List<Double> paged = new ArrayList<>();
    Stream.concat(stream(easiest.get("images")), stream(next.get("images")))
        .forEach(i -> paged.add(i.get("difficulty").asDouble()));
    assertThat(paged).hasSize(14).isSorted();
    JsonNode hardest = getJson(apiA + "datasets/api-b/images?order=-difficulty&class=Bag");
    assertThat(hardest.get("total").asInt()).isEqualTo(6);
    assertThat(stream(hardest.get("images")).map(i -> -i.get("difficulty").asDouble()).toList())
        .isSorted();

    JsonNode byRow = getJson(apiA + "datasets/api-b/images/3");
    assertThat(byRow.get("row_index").asInt()).isEqualTo(3);
    JsonNode byPath = getJson(apiB + "datasets/api-b/images/" + byRow.get("im_path").asText());
    assertThat(byPath).isEqualTo(byRow);
  }

  @Test
  @Order(3)
  void aWholeTaperingCurriculumInOneRequestDrawsFromTheEasiestOfEachClass() throws Exception {
    String query =
        "datasets/api-c/curriculum?split=train&per_class=2&easiest=0.4,1&condition="
            + LARGE
            + ",natural&seed=7";
    JsonNode curriculum = getJson(apiA + query);
    assertThat(getJson(apiB + query))
        .as("seeded: the same picks on both instances")
        .isEqualTo(curriculum);
    conforms(curriculum.toString(), "#/components/schemas/Curriculum");
    JsonNode images =
        getJson(apiA + "datasets/api-c/images?split=train&order=difficulty&limit=1000");
    JsonNode first = curriculum.get("blocks").get(0);
    assertThat(first.get("condition").asText()).isEqualTo(LARGE);
    assertThat(first.get("images")).hasSize(20);
    for (int c = 0; c < 10; c++) {
      String className = curriculum.get("classes").get(c).asText();
      // round(5 × 0.4) = 2: the two easiest train images of the class, easiest first.
      List<JsonNode> easiestTwo =
          stream(images.get("images"))
              .filter(i -> i.get("class").asText().equals(className))
              .limit(2)
              .toList();
      JsonNode pick0 = first.get("images").get(2 * c);
      JsonNode pick1 = first.get("images").get(2 * c + 1);
      assertThat(List.of(pick0.get("row_index").asInt(), pick1.get("row_index").asInt()))
          .containsExactly(
              easiestTwo.get(0).get("row_index").asInt(),
              easiestTwo.get(1).get("row_index").asInt());
      assertThat(pick0.get("url").asText())
          .isEqualTo(pick0.get("urls").get(LARGE).asText())
          .contains("2-0dot5-4-logit");
    }
    JsonNode natural = curriculum.get("blocks").get(1);
    assertThat(natural.get("images")).hasSize(20);
    assertThat(natural.get("images").get(0).get("url").asText()).contains("natural");
    JsonNode otherSeed = getJson(apiA + query.replace("seed=7", "seed=8"));
    assertThat(otherSeed.get("blocks").get(0)).as("block 0 has no choice: 2 of 2").isEqualTo(first);
  }

  @Test
  @Order(4)
  void dirmapCsvIsByteIdenticalToTheWrittenFile() throws Exception {
    for (String condition : List.of("natural", LARGE)) {
      Path file = tmp.resolve("out/api-a_" + condition + "/api-a_" + condition + "_dirmap.csv");
      for (String api : List.of(apiA, apiB)) {
        HttpResponse<byte[]> response =
            HTTP.send(
                HttpRequest.newBuilder(
                        URI.create(api + "datasets/api-a/dirmap.csv?condition=" + condition))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type"))
            .hasValueSatisfying(t -> assertThat(t).startsWith("text/csv"));
        assertThat(response.body()).isEqualTo(Files.readAllBytes(file));
      }
    }
  }

  @Test
  @Order(5)
  void errorsNameWhatIsWrongAsJson() throws Exception {
    expectError(
        apiA + "datasets/nope/images", 404, "unknown dataset 'nope'; known: api-a, api-b, api-c");
    expectError(apiB + "jobs/no-such-job", 404, "unknown job 'no-such-job'");
    expectError(apiA + "datasets/api-a/images/99999", 404, "has no scored image '99999'");
    expectError(apiA + "nothing/here", 404, "no such path");
    expectError(
        apiA + "datasets/api-a/images?order=random",
        400,
        "order=random is not allowed; use one of dirmap, difficulty, -difficulty");
    expectError(
        apiB + "datasets/api-a/images?limit=0", 400, "limit=0 must be an integer from 1 to 10000");
    expectError(
        apiA + "datasets/api-a/images?split=training",
        400,
        "split 'training' is not one of the dataset's: test, train");
    expectError(
        apiA + "datasets/api-a/curriculum?easiest=0,0.5",
        400,
        "easiest=0 must be a fraction in (0, 1]");
    expectError(
        apiB + "datasets/api-a/curriculum?condition=8_0.5_16_logit",
        400,
        "condition '8_0.5_16_logit' is not one of dataset api-a's: natural, 1_0.5_2_logit, "
            + LARGE);
    expectError(
        apiA + "datasets/api-a/curriculum?per_class=3&easiest=0.1",
        400,
        "per_class=3 is more than the easiest 0.1");
    expectError(
        apiA + "datasets/api-a/curriculum?easiest=0.1,0.2,0.3&condition=natural,natural",
        400,
        "condition lists 2 conditions and easiest 3 fractions");
  }

  @Test
  @Order(6)
  void anInstanceWhoseStateIsNotQueryableAnswers503WithRetryAfter() throws Exception {
    Map<String, String> props = new HashMap<>(infra.connection());
    props.put("aggregator.output.dir", tmp.resolve("out").toString());
    props.put("aggregator.state.dir", tmp.resolve("third-state").toString());
    props.put("api.port", "0");
    try (AggregatorApp starting = new AggregatorApp(AggregatorConfig.from(props))) {
      // Listening, not started: what a client sees while an instance starts or restores its state.
      String api = starting.apiUrl();
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(api + "datasets")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.headers().firstValue("Retry-After")).hasValue("2");
      assertThat(JSON.readTree(response.body()).get("error").asText())
          .contains("retry in a few seconds");
      conforms(response.body(), "#/components/schemas/Error");
    }
  }

  @Test
  @Order(7)
  void corsLetsAnExperimentPageOnAnotherOriginCallTheApi() throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(apiA + "datasets"))
                .header("Origin", "https://experiments.example.org")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.headers().firstValue("Access-Control-Allow-Origin"))
        .hasValueSatisfying(v -> assertThat(v).isIn("*", "https://experiments.example.org"));
  }

  @Test
  @Order(8)
  void aNewlyCollectedImageShowsUpInImagesCurriculumAndEventsWithoutRestart() throws Exception {
    BlockingQueue<String[]> eventsA = events(apiA + "events?dataset=api-a");
    BlockingQueue<String[]> eventsB = events(apiB + "events");
    JobRequest reference = requests.get("api-a");
    DirmapWatcher watcher =
        run.watch(
            new JobRequest(
                reference.dirmap(),
                "api-a",
                "fashion-cnn-robust",
                "class_num",
                true,
                CONDITIONS,
                ImageFormat.PNG,
                jobs.get("api-a").jobId()),
            null);
    long start = System.nanoTime();
    while (watcher.published() == 0
        && System.nanoTime() - start < Duration.ofSeconds(30).toNanos()) {
      Thread.sleep(50); // the watcher records where the dirmap ends before rows are appended
    }
    Path root = reference.dirmap().getParent();
    Files.copy(
        Path.of("../demo/fashion-mnist/images/bag/t10k-105.png"),
        root.resolve("images/new-bag.png"));
    Files.writeString(
        reference.dirmap(), "60,train,Bag,8,images/new-bag.png,28\n", StandardOpenOption.APPEND);

    JsonNode event = nextImageEvent(eventsA, Duration.ofMinutes(2));
    conforms(event.toString(), "#/components/schemas/ImageEvent");
    assertThat(event.get("im_path").asText()).isEqualTo("images/new-bag.png");
    assertThat(event.get("incoming").asBoolean()).isTrue();
    assertThat(event.get("class_num").asInt()).isEqualTo(8);
    assertThat(event.get("urls").fieldNames())
        .toIterable()
        .containsExactlyInAnyOrder("natural", "1_0.5_2_logit", LARGE);
    assertThat(nextImageEvent(eventsB, Duration.ofSeconds(30)))
        .as("every instance streams every event")
        .isEqualTo(event);

    JsonNode image = getJson(apiB + "datasets/api-a/images/images/new-bag.png");
    assertThat(image.get("incoming").asBoolean()).isTrue();
    assertThat(image.get("difficulty").asDouble()).isEqualTo(event.get("difficulty").asDouble());
    JsonNode bags = getJson(apiA + "datasets/api-a/images?class=Bag&split=train");
    assertThat(bags.get("total").asInt()).isEqualTo(6);
    // Each class has 5 train images but Bag now 6: 5 of 6 drawn, so some seed of a few draws it.
    boolean drawn = false;
    for (int seed = 0; seed < 20 && !drawn; seed++) {
      JsonNode curriculum =
          getJson(
              apiA + "datasets/api-a/curriculum?split=train&per_class=5&easiest=1&seed=" + seed);
      drawn =
          stream(curriculum.get("blocks").get(0).get("images"))
              .anyMatch(
                  i ->
                      i.get("im_path").asText().equals("images/new-bag.png")
                          && i.get("incoming").asBoolean());
    }
    assertThat(drawn).as("the new image is among the curriculum's candidates").isTrue();
    assertThat(getJson(apiA + "datasets").get("datasets").get(0).get("incoming_images").asInt())
        .isEqualTo(1);
  }

  @Test
  @Order(9)
  void theOpenApiDocumentDescribesEveryPath() {
    assertThat(openApi.get("openapi").asText()).startsWith("3.");
    assertThat(openApi.get("paths").fieldNames())
        .toIterable()
        .contains(
            "/datasets",
            "/datasets/{dataset}",
            "/datasets/{dataset}/images",
            "/datasets/{dataset}/images/{rowOrImPath}",
            "/datasets/{dataset}/curriculum",
            "/datasets/{dataset}/dirmap.csv",
            "/datasets/{dataset}/calibration",
            "/outcomes",
            "/jobs",
            "/jobs/{jobId}",
            "/events",
            "/openapi.json");
  }

  // ---- The closed loop: participants' answers in, human accuracy and calibration out
  // -----------------

  @Test
  @Order(10)
  void answersArePostedResolvedCountedOnceAndBadOnesNamed() throws Exception {
    JsonNode images = getJson(apiA + "datasets/api-b/images?limit=3");
    JsonNode first = images.get("images").get(0);
    JsonNode second = images.get("images").get(1);
    JsonNode third = images.get("images").get(2);
    ObjectNode session = JSON.createObjectNode();
    session.put("session_id", "participant-1");
    var trials = session.putArray("trials");
    trials.addObject().put("trial_type", "instructions").put("trial_index", 0);
    trialOutcome(trials.addObject().put("trial_index", 1))
        .put("stimulus_image_url", first.get("url").asText())
        .put("perf", 1)
        .put("reaction_time_msec", 800)
        .put("block", 0);
    trialOutcome(trials.addObject().put("trial_index", 2))
        .put("stimulus_image_url", second.get("urls").get(LARGE).asText())
        .put("perf", 0)
        .put("reaction_time_msec", 1200)
        .put("block", 0);
    trialOutcome(trials.addObject().put("trial_index", 3))
        .put("stimulus_image_url", first.get("url").asText())
        .put("perf", 2);
    trialOutcome(trials.addObject().put("trial_index", 4))
        .put("stimulus_image_url", "http://nowhere.example/x.png")
        .put("perf", 1);
    trialOutcome(trials.addObject().put("trial_index", 5)).put("perf", 1);
    // A plain outcome object naming the image by dataset and row, as an experiment server may send
    // it.
    trials
        .addObject()
        .put("trial_index", 6)
        .put("dataset", "api-b")
        .put("row_index", third.get("row_index").asLong())
        .put("condition_id", "natural")
        .put("perf", 1)
        .put("reaction_time_msec", 700);

    for (int post = 0;
        post < 2;
        post++) { // the second post is the same session again: counted once
      HttpResponse<String> response = post(apiB + "outcomes", session.toString());
      assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
      JsonNode result = JSON.readTree(response.body());
      conforms(response.body(), "#/components/schemas/OutcomesResult");
      assertThat(result.get("accepted").asInt()).isEqualTo(3);
      assertThat(result.get("ignored").asInt()).isEqualTo(1);
      assertThat(result.get("errors"))
          .extracting(e -> e.get("trial_index").asInt() + ": " + e.get("error").asText())
          .containsExactly(
              "3: perf must be 0 or 1, not 2",
              "4: no scored image has the stimulus URL http://nowhere.example/x.png",
              "5: no stimulus_image_url (or dataset or job_id with row_index) says which image was shown");
    }
    JsonNode human =
        awaitHuman(apiA + "datasets/api-b/images/" + first.get("row_index").asText(), 1);
    conforms(human.toString(), "#/components/schemas/Human");
    assertThat(human.get("correct").asInt()).isEqualTo(1);
    assertThat(human.get("ci_low").asDouble()).isBetween(0.0, 1.0);
    assertThat(human.get("median_rt_ms").asDouble()).isEqualTo(800.0);
    JsonNode wrong =
        awaitHuman(apiB + "datasets/api-b/images/" + second.get("row_index").asText(), 1);
    assertThat(wrong.get("by_condition").get(LARGE).get("accuracy").asDouble()).isEqualTo(0.0);
    awaitHuman(apiA + "datasets/api-b/images/" + third.get("row_index").asText(), 1);
    Thread.sleep(1500); // the repeated post, were it counted, would have arrived by now
    assertThat(getJson(apiA + "datasets/api-b/calibration?min_trials=1").get("trials").asInt())
        .isEqualTo(3);

    // The dirmaps gain human_trials and human_accuracy at the end; the API serves the same bytes.
    Path natural = tmp.resolve("out/api-b_natural/api-b_natural_dirmap.csv");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!Files.readAllLines(natural).get(0).endsWith(",human_trials,human_accuracy")
        && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    List<String> lines = Files.readAllLines(natural);
    assertThat(lines.get(0)).endsWith("robust_predicted_class,human_trials,human_accuracy");
    assertThat(lines.get(1 + first.get("row_index").asInt())).endsWith(",1,1.0");
    HttpResponse<byte[]> csv =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(apiB + "datasets/api-b/dirmap.csv")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(csv.body()).isEqualTo(Files.readAllBytes(natural));

    expectPostError(
        apiA + "outcomes", "{\"session_id\": \"x\", \"trials\": [", 400, "the body is not JSON");
    expectPostError(apiA + "outcomes", "{\"trials\": []}", 400, "session_id is missing");
    expectPostError(
        apiA + "outcomes",
        "{\"session_id\": \"x\", \"trials\": 3}",
        400,
        "trials must be an array");
  }

  @Test
  @Order(11)
  void theOutcomesEndpointCanRequireATokenAndLimitsItsBody() throws Exception {
    Map<String, String> props = new HashMap<>(infra.connection());
    props.put("aggregator.output.dir", tmp.resolve("out").toString());
    props.put("aggregator.state.dir", tmp.resolve("token-state").toString());
    props.put("api.port", "0");
    props.put("api.outcomes.token", "s3cret");
    props.put("api.outcomes.max.bytes", "2048");
    try (AggregatorApp guarded = new AggregatorApp(AggregatorConfig.from(props))) {
      String body = "{\"session_id\": \"x\", \"trials\": []}";
      expectPostError(guarded.apiUrl() + "outcomes", body, 401, "Authorization: Bearer");
      HttpResponse<String> wrongToken =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(guarded.apiUrl() + "outcomes"))
                  .header("Authorization", "Bearer nope")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(wrongToken.statusCode()).isEqualTo(401);
      HttpResponse<String> tooLarge =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(guarded.apiUrl() + "outcomes"))
                  .header("Authorization", "Bearer s3cret")
                  .POST(HttpRequest.BodyPublishers.ofString("[" + " ".repeat(4096) + "]"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(tooLarge.statusCode()).isEqualTo(413);
      assertThat(tooLarge.body()).doesNotContain("s3cret");
    }
    // Experiment pages on other origins may post (a CORS preflight for JSON bodies).
    HttpResponse<String> preflight =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(apiA + "outcomes"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://experiments.example.org")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).isPresent();
    assertThat(
            preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("").toLowerCase())
        .contains("content-type");
  }

  @Test
  @Order(12)
  void simulatedParticipantsCloseTheLoopAndTheCalibrationRecoversThePlantedRelation()
      throws Exception {
    BlockingQueue<String[]> events = events(apiB + "events?dataset=api-c");
    assertThat(simulate("--sessions", "8", "--seed", "3")).isZero();
    double early = meanError("api-c", 8 * 50);
    assertThat(simulate("--sessions", "32", "--seed", "4")).isZero();
    double late = meanError("api-c", 40 * 50);
    // 50 train images, all answered each session (5 per class of 5): ~8 then ~40 answers per image.
    assertThat(late)
        .as("per-image accuracy converges to the planted one")
        .isLessThan(early)
        .isLessThan(0.1);

    JsonNode calibration = getJson(apiA + "datasets/api-c/calibration");
    assertThat(getJson(apiB + "datasets/api-c/calibration")).isEqualTo(calibration);
    conforms(calibration.toString(), "#/components/schemas/Calibration");
    assertThat(calibration.get("images_used").asInt()).isEqualTo(50);
    // Planted: higher logit → lower difficulty → more often right.
    assertThat(calibration.get("overall").get("spearman").get("r").asDouble()).isGreaterThan(0.6);
    assertThat(calibration.get("overall").get("pearson").get("r").asDouble()).isGreaterThan(0.5);
    assertThat(calibration.get("overall").get("spearman").get("ci_low").asDouble()).isPositive();
    assertThat(calibration.get("curve").get("b").asDouble()).isPositive();
    assertThat(calibration.get("curve").get("direction").asText()).isEqualTo("increasing");
    List<Double> curve = new ArrayList<>();
    calibration
        .get("curve")
        .get("points")
        .forEach(p -> curve.add(p.get("predicted_accuracy").asDouble()));
    assertThat(curve).isSorted();
    JsonNode event = nextEvent(events, "calibration", Duration.ofSeconds(30));
    assertThat(event.get("dataset").asText()).isEqualTo("api-c");

    // Enhanced images help the planted learners: eps 2 adds 1 to the psychometric function's
    // argument.
    assertThat(simulate("--sessions", "10", "--seed", "5", "--condition", LARGE)).isZero();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode large;
    do {
      Thread.sleep(300);
      large =
          stream(getJson(apiA + "datasets/api-c/calibration").get("conditions"))
              .filter(c -> c.get("condition").asText().equals(LARGE))
              .findFirst()
              .orElseThrow();
    } while (large.get("trials").asInt() < 500 && System.nanoTime() < deadline);
    assertThat(large.get("trials").asInt()).isEqualTo(500);
    assertThat(large.get("gain_over_natural").asDouble()).isPositive();

    // The curriculum can order by people: observed accuracy, or the calibrated prediction blended
    // with it.
    for (String order : List.of("human", "blend")) {
      JsonNode ranked =
          getJson(apiA + "datasets/api-c/curriculum?per_class=1&easiest=0.2&seed=2&order=" + order);
      assertThat(ranked.get("order").asText()).isEqualTo(order);
      for (JsonNode image : ranked.get("blocks").get(0).get("images")) {
        assertThat(image.get("ranked_difficulty").asDouble()).isBetween(0.0, 1.0);
      }
    }
    expectError(
        apiA + "datasets/api-c/curriculum?order=random",
        400,
        "order=random is not allowed; use one of model, human, blend");
  }

  @Test
  @Order(13)
  void theCalibrationPageDrawsModelAgainstPeople() throws Exception {
    HeadlessChromium.assumeInstalled();
    try (HeadlessChromium chromium = HeadlessChromium.start()) {
      chromium.open(apiA.replace("/api/v1/", "/experiment/calibration.html") + "?dataset=api-c");
      chromium.waitFor(
          Duration.ofSeconds(60),
          d ->
              "drawn"
                  .equals(
                      chromium.script(
                          "return window.lwiseCalibration && window.lwiseCalibration.status")));
      assertThat(
              ((Number)
                      chromium.script(
                          "return window.lwiseCalibration.chart.data.datasets[0].data.length"))
                  .intValue())
          .isEqualTo(50);
      assertThat(
              ((Number)
                      chromium.script(
                          "return window.lwiseCalibration.chart.data.datasets[1].data.length"))
                  .intValue())
          .isEqualTo(21);
      assertThat(chromium.driver().findElement(By.id("lwise-summary")).getText())
          .contains("Spearman");
      assertThat(chromium.consoleErrors()).isEmpty();
      chromium.screenshot(Path.of("target", "closed-loop", "calibration.png"));
    }
  }

  private static ObjectNode trialOutcome(ObjectNode trial) {
    trial.put("trial_type", "html-button-response");
    return trial.putObject("trial_outcome");
  }

  private static int simulate(String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "simulate-participants", "--api", apiA, "--dataset", "api-c", "--per-class", "5"));
    command.addAll(List.of(args));
    return Launcher.commandLine().execute(command.toArray(String[]::new));
  }

  /** Mean |observed − planted| natural accuracy over the dataset's answered train images. */
  private static double meanError(String dataset, long naturalAnswers) throws Exception {
    JsonNode images;
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    do { // until every posted answer is counted
      Thread.sleep(300);
      images = getJson(apiA + "datasets/" + dataset + "/images?split=train&limit=1000");
    } while (stream(images.get("images"))
                .mapToLong(
                    i ->
                        i.get("human").isNull()
                            ? 0
                            : i.get("human")
                                .get("by_condition")
                                .path("natural")
                                .path("trials")
                                .asLong())
                .sum()
            < naturalAnswers
        && System.nanoTime() < deadline);
    SimulateParticipantsCommand.Psychometric planted =
        new SimulateParticipantsCommand.Psychometric(3, 6, 0.5, 10);
    return stream(images.get("images"))
        .filter(i -> !i.get("human").isNull())
        .mapToDouble(
            i ->
                Math.abs(
                    i.get("human").get("by_condition").get("natural").get("accuracy").asDouble()
                        - planted.probability(i.get("difficulty").asDouble(), 0)))
        .average()
        .orElseThrow();
  }

  private static JsonNode awaitHuman(String url, int trials) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode human = getJson(url).get("human");
      if (!human.isNull() && human.get("trials").asInt() >= trials) {
        return human;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no " + trials + " answers counted for " + url);
  }

  private static HttpResponse<String> post(String url, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void expectPostError(String url, String body, int status, String message)
      throws Exception {
    HttpResponse<String> response = post(url, body);
    assertThat(response.statusCode()).as(url + " → " + response.body()).isEqualTo(status);
    assertThat(JSON.readTree(response.body()).get("error").asText()).contains(message);
    conforms(response.body(), "#/components/schemas/Error");
  }

  private static JsonNode nextEvent(BlockingQueue<String[]> events, String name, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String[] event = events.poll(1, TimeUnit.SECONDS);
      if (event != null && event[0].equals(name)) {
        return JSON.readTree(event[1]);
      }
    }
    throw new AssertionError("no " + name + " event within " + timeout);
  }

  // ---- helpers
  // -----------------------------------------------------------------------------------

  private static JsonNode getJson(String url) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(url + " → " + response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    return JSON.readTree(response.body());
  }

  private static void expectError(String url, int status, String message) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(url + " → " + response.body()).isEqualTo(status);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.get("error").asText()).contains(message);
    assertThat(body.get("status").asInt()).isEqualTo(status);
    assertThat(response.body()).doesNotContain("\tat ", "Exception");
    conforms(response.body(), "#/components/schemas/Error");
  }

  /** Checks a JSON text against a schema of the served OpenAPI document (JSON Schema 2020-12). */
  private static void conforms(String json, String pointer) {
    ObjectNode document = JSON.createObjectNode();
    document.put("$schema", "https://json-schema.org/draft/2020-12/schema");
    document.put("$ref", pointer);
    document.set("components", openApi.get("components"));
    document.set("paths", openApi.get("paths"));
    Schema schema =
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(document.toString(), InputFormat.JSON);
    List<Error> errors = schema.validate(json, InputFormat.JSON);
    assertThat(errors).as(pointer + " for " + json).isEmpty();
  }

  /** Server-sent events as (event, data) pairs, read on a background thread. */
  private static BlockingQueue<String[]> events(String url) {
    BlockingQueue<String[]> queue = new LinkedBlockingQueue<>();
    CompletableFuture<HttpResponse<Stream<String>>> response =
        HTTP.sendAsync(
            HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream").build(),
            HttpResponse.BodyHandlers.ofLines());
    Thread reader =
        new Thread(
            () -> {
              try {
                String[] event = {null};
                response
                    .get(30, TimeUnit.SECONDS)
                    .body()
                    .forEach(
                        line -> {
                          if (line.startsWith("event:")) {
                            event[0] = line.substring(6).trim();
                          } else if (line.startsWith("data:")) {
                            queue.add(new String[] {event[0], line.substring(5).trim()});
                          }
                        });
              } catch (Exception e) {
                queue.add(new String[] {"error", e.toString()});
              }
            },
            "sse-reader");
    reader.setDaemon(true);
    reader.start();
    return queue;
  }

  private static JsonNode nextImageEvent(BlockingQueue<String[]> events, Duration timeout)
      throws Exception {
    return nextEvent(events, "image", timeout);
  }

  private static Stream<JsonNode> stream(JsonNode array) {
    List<JsonNode> list = new ArrayList<>();
    array.forEach(list::add);
    return list.stream();
  }
}
