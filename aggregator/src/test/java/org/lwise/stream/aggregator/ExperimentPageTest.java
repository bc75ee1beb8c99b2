package org.lwise.stream.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.lwise.stream.common.HeadlessChromium;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The built demo page ({@code target/classes/experiment/}) in headless Chromium against {@link
 * FakeExperimentApi}: the one curriculum request, easiest-first trials with each block's condition
 * URL, live images joining later blocks, recorded answers, errors shown on the page. The end-to-end
 * test against the running pipeline lives with the API's integration tests.
 */
class ExperimentPageTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> BLOCK_CONDITIONS =
      List.of("4_0.5_8_logit", "2_0.5_4_logit", "1_0.5_2_logit", "natural", "natural", "natural");

  private static HeadlessChromium chromium;

  // Assumptions are checked before each test (not in @BeforeAll), so that Surefire reports every
  // test as skipped, with the reason, when the page or the browser is missing.
  @BeforeEach
  void browserWithPage() {
    Assumptions.assumeTrue(
        ExperimentPageTest.class.getResource("/experiment/index.html") != null,
        "the page was not built (-Dweb.skip?): no /experiment/index.html on the classpath");
    if (chromium == null) chromium = HeadlessChromium.start();
    chromium.clearConsole();
  }

  @AfterAll
  static void stopBrowser() {
    if (chromium != null) chromium.close();
  }

  @Test
  void shouldRunTheTaperingCurriculumEasiestFirstAndAddLiveImagesToLaterBlocks() throws Exception {
    try (FakeExperimentApi api = FakeExperimentApi.start(true, false)) {
      chromium.open(api.baseUrl() + "/experiment/?seed=7&feedback_ms=50");
      waitForStatus("running");
      chromium.waitFor(WAIT, d -> api.eventClients() > 0);

      // One request for the whole curriculum: eps tapering 4 → 2 → 1, then natural images.
      assertThat(api.curriculumRequests()).hasSize(1);
      Map<String, String> query = api.curriculumRequests().get(0);
      assertThat(query)
          .containsEntry("split", "train")
          .containsEntry("per_class", "2")
          .containsEntry("seed", "7")
          .containsEntry("easiest", "0.1,0.25,0.4,0.55,0.7,0.85")
          .containsEntry("condition", String.join(",", BLOCK_CONDITIONS));
      assertThat(chromium.driver().findElement(By.id("lwise-seed")).getText()).isEqualTo("7");
      JsonNode curriculum = fetchCurriculum(api, query);

      chromium.driver().findElement(By.id("jspsych-instructions-next")).click();
      WebElement first = stimulus(0);
      chromium.screenshot(Path.of("target", "experiment-page", "first-trial.png"));

      // The first trials are each class's easiest image of block 0, under block 0's condition.
      List<JsonNode> blockZeroEasiest = easiestPerClass(curriculum.get("blocks").get(0));
      assertShows(first, blockZeroEasiest.get(0), "4_0.5_8_logit");

      // Block 0 has begun: new images go to blocks 1 and 2 (one per block and class), others not at
      // all.
      api.pushImage(
          api.image(100, "Bag", 0.05, "val", "natural", FakeExperimentApi.JOB + "~watch-x1"));
      api.pushImage(
          api.image(101, "Sneaker", 0.05, "train", "natural", FakeExperimentApi.JOB + "~watch-x1"));
      api.pushImage(
          api.image(102, "Bag", 0.30, "train", "natural", FakeExperimentApi.JOB + "~watch-x1"));
      api.pushImage(
          api.image(103, "Bag", 0.20, "train", "natural", FakeExperimentApi.JOB + "~watch-x1"));
      chromium.waitFor(
          WAIT,
          d ->
              ((Number) chromium.script("return window.lwiseExperiment.liveImages.length"))
                      .intValue()
                  == 2);
      assertThat(lastImage(1))
          .containsEntry("row_index", 102L)
          .containsEntry("url", api.baseUrl() + "/bucket/2_0.5_4_logit/102.png");
      assertThat(lastImage(2))
          .containsEntry("row_index", 103L)
          .containsEntry("url", api.baseUrl() + "/bucket/1_0.5_2_logit/103.png");
      assertThat(chromium.driver().findElement(By.id("lwise-live")).getText())
          .startsWith("2 new images arrived");

      // Answer every trial: right, then wrong, then right for the rest; check what each one shows.
      List<Map<String, String>> shown = new ArrayList<>();
      for (int n = 0; ; n++) {
        Optional<WebElement> next = nextStimulus(n);
        if (next.isEmpty()) break;
        WebElement img = next.get();
        String row = img.getAttribute("data-row-index");
        shown.add(
            Map.of(
                "row",
                row,
                "condition",
                img.getAttribute("data-condition"),
                "src",
                img.getAttribute("src")));
        String correct =
            (String)
                chromium.script(
                    "return window.lwiseExperiment.blocks.flatMap(b => b.images).find(i => String(i.row_index) === arguments[0]).class",
                    row);
        answer(n == 1 ? otherClass(correct) : correct);
      }

      // 6 blocks × 3 classes × 2 images, plus the two live images.
      assertThat(shown).hasSize(38);
      // Block 1 begins at trial 6 with each class's easiest, under its own condition; its last
      // trial is the live image.
      List<JsonNode> blockOneEasiest = easiestPerClass(curriculum.get("blocks").get(1));
      assertThat(shown.get(6))
          .containsEntry("row", blockOneEasiest.get(0).get("row_index").asText())
          .containsEntry("condition", "2_0.5_4_logit");
      assertThat(shown.get(12))
          .containsEntry("row", "102")
          .containsEntry("src", api.baseUrl() + "/bucket/2_0.5_4_logit/102.png");
      assertThat(shown.get(19))
          .containsEntry("row", "103")
          .containsEntry("condition", "1_0.5_2_logit");
      assertThat(shown.get(37).get("condition")).isEqualTo("natural");

      // Every answer is in jsPsych's data as a trial_outcome.
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> outcomes =
          (List<Map<String, Object>>)
              chromium.script(
                  "return window.lwiseExperiment.jsPsychData().filter(d => d.trial_outcome).map(d => d.trial_outcome)");
      assertThat(outcomes).hasSize(38);
      Map<String, Object> right = outcomes.get(0);
      Map<String, Object> wrong = outcomes.get(1);
      JsonNode firstImage = blockZeroEasiest.get(0);
      assertThat(right)
          .containsEntry("stimulus_image_url", firstImage.get("url").asText())
          .containsEntry("class", "Ankle boot")
          .containsEntry("i_choice", 0L)
          .containsEntry("i_correct_choice", 0L)
          .containsEntry("perf", 1L)
          .containsEntry("block", 0L)
          .containsEntry("trial_type", "train")
          .containsEntry("condition_idx", 0L)
          .containsEntry("dataset", FakeExperimentApi.DATASET)
          .containsEntry("job_id", FakeExperimentApi.JOB)
          .containsEntry("row_index", firstImage.get("row_index").asLong())
          .containsEntry("condition_id", "4_0.5_8_logit");
      assertThat(((Number) right.get("reaction_time_msec")).doubleValue()).isPositive();
      assertThat(wrong)
          .containsEntry("class", "Bag")
          .containsEntry("perf", 0L)
          .containsEntry("i_correct_choice", 1L);
      assertThat(outcomes.get(12))
          .containsEntry("job_id", FakeExperimentApi.JOB + "~watch-x1")
          .containsEntry("block", 1L);

      // Each answer is posted as it is given (one trial, its trial_index its position), then the
      // whole
      // session once more at the end: posting an answer again counts once on the server. This fake
      // answers 404, which the page ignores, though the browser still logs a failed load.
      chromium.waitFor(WAIT, d -> api.postedOutcomes().size() == 39);
      List<JsonNode> singles =
          api.postedOutcomes().stream().filter(p -> p.get("trials").size() == 1).toList();
      assertThat(singles).hasSize(38);
      assertThat(
              singles.stream()
                  .map(p -> p.get("trials").get(0).get("trial_index").asInt())
                  .sorted()
                  .toList())
          .isEqualTo(IntStream.range(0, 38).boxed().toList());
      JsonNode posted =
          api.postedOutcomes().stream()
              .filter(p -> p.get("trials").size() == 38)
              .findFirst()
              .orElseThrow();
      assertThat(posted.get("session_id").asText())
          .hasSize(32)
          .isEqualTo(singles.get(0).get("session_id").asText());
      assertThat(posted.get("trials").get(37).get("trial_index").asInt()).isEqualTo(37);
      assertThat(posted.get("trials").get(0).get("row_index").asLong())
          .isEqualTo(firstImage.get("row_index").asLong());
      assertThat(chromium.consoleErrors())
          .filteredOn(e -> !e.contains("/api/v1/outcomes"))
          .isEmpty();
      chromium.screenshot(Path.of("target", "experiment-page", "finished.png"));
    }
  }

  @Test
  void shouldBuildTheCurriculumFromAnApiOnAnotherOrigin() {
    try (FakeExperimentApi page = FakeExperimentApi.start(true, false);
        FakeExperimentApi api = FakeExperimentApi.start(false, true)) {
      chromium.open(page.baseUrl() + "/experiment/?api=" + api.baseUrl() + "/api/v1");
      waitForStatus("running");
      chromium.waitFor(WAIT, d -> api.eventClients() > 0);
      assertThat(api.curriculumRequests()).hasSize(1);
      assertThat(page.curriculumRequests()).isEmpty();

      chromium.driver().findElement(By.id("jspsych-instructions-next")).click();
      assertThat(stimulus(0).getAttribute("src"))
          .startsWith(api.baseUrl() + "/bucket/4_0.5_8_logit/");
      assertThat(chromium.consoleErrors()).isEmpty();
    }
  }

  @Test
  void shouldShowTheApiErrorMessage() {
    try (FakeExperimentApi api = FakeExperimentApi.start(true, false)) {
      chromium.open(api.baseUrl() + "/experiment/?per_class=50");
      waitForStatus("error");
      WebElement error = chromium.driver().findElement(By.id("lwise-error"));
      assertThat(error.isDisplayed()).isTrue();
      assertThat(error.getText()).contains("per_class must be between 1 and 10, not 50");

      chromium.open(api.baseUrl() + "/experiment/?dataset=mnist");
      waitForStatus("error");
      assertThat(chromium.driver().findElement(By.id("lwise-error")).getText())
          .contains("dataset 'mnist' not found (known: fashion-mnist)");
    }
  }

  private static void waitForStatus(String expected) {
    chromium.waitFor(WAIT, d -> expected.equals(status()));
  }

  private static String status() {
    return (String)
        chromium.script("return window.lwiseExperiment && window.lwiseExperiment.status");
  }

  /**
   * The image of the n-th answer (counting from 0) once it is on screen; empty once the session is
   * over.
   */
  private static Optional<WebElement> nextStimulus(int n) {
    return chromium.waitFor(
        WAIT,
        d -> {
          List<WebElement> found =
              d.findElements(By.cssSelector("img.lwise-stimulus[data-trial='" + n + "']"));
          if (!found.isEmpty()) return Optional.of(found.get(0));
          return "finished".equals(status()) ? Optional.<WebElement>empty() : null;
        });
  }

  /** The image of the n-th answer (counting from 0), once it is on screen. */
  private static WebElement stimulus(int n) {
    return chromium.waitFor(
        WAIT,
        d -> {
          List<WebElement> found =
              d.findElements(By.cssSelector("img.lwise-stimulus[data-trial='" + n + "']"));
          return found.isEmpty() ? null : found.get(0);
        });
  }

  private static void answer(String cls) {
    for (WebElement button :
        chromium
            .driver()
            .findElements(By.cssSelector("#jspsych-html-button-response-btngroup button"))) {
      if (button.getText().equals(cls)) {
        button.click();
        return;
      }
    }
    throw new AssertionError("no button for class " + cls);
  }

  private static String otherClass(String cls) {
    return FakeExperimentApi.CLASSES.stream().filter(c -> !c.equals(cls)).findFirst().orElseThrow();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> lastImage(int block) {
    return (Map<String, Object>)
        chromium.script("return window.lwiseExperiment.blocks[arguments[0]].images.at(-1)", block);
  }

  private static void assertShows(WebElement img, JsonNode image, String condition) {
    assertThat(img.getAttribute("data-row-index")).isEqualTo(image.get("row_index").asText());
    assertThat(img.getAttribute("data-job-id")).isEqualTo(image.get("job_id").asText());
    assertThat(img.getAttribute("data-condition")).isEqualTo(condition);
    assertThat(Double.parseDouble(img.getAttribute("data-difficulty")))
        .isEqualTo(image.get("difficulty").asDouble());
    assertThat(img.getAttribute("src")).isEqualTo(image.get("urls").get(condition).asText());
  }

  /** For one block of the API's answer: each class's easiest image, in the order of the classes. */
  private static List<JsonNode> easiestPerClass(JsonNode block) {
    List<JsonNode> easiest = new ArrayList<>();
    for (String cls : FakeExperimentApi.CLASSES) {
      JsonNode best = null;
      for (JsonNode image : block.get("images")) {
        if (!image.get("class").asText().equals(cls)) continue;
        if (best == null || image.get("difficulty").asDouble() < best.get("difficulty").asDouble())
          best = image;
      }
      easiest.add(best);
    }
    return easiest;
  }

  /** The same curriculum the page got, asked for again (the fake answers deterministically). */
  private static JsonNode fetchCurriculum(FakeExperimentApi api, Map<String, String> query)
      throws Exception {
    StringBuilder url =
        new StringBuilder(
            api.baseUrl() + "/api/v1/datasets/" + FakeExperimentApi.DATASET + "/curriculum?");
    query.forEach((k, v) -> url.append(k).append('=').append(v).append('&'));
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return JSON.readTree(response.body());
  }
}
