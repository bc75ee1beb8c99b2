package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.HeadlessChromium;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The README's first command, with {@code --serve}, then the demo experiment it serves, in headless
 * Chromium: the page builds its tapering curriculum from the live API and its first trials show the
 * easiest images of their class under the first block's enhanced condition.
 */
class DemoExperimentIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern API_LINE = Pattern.compile("API: (http://\\S+/api/v1/)");

  @TempDir static Path tmp;
  static Process run;
  static String api;

  @BeforeAll
  static void runTheDemoAndServeIt() throws Exception {
    Path console = tmp.resolve("run.console");
    ProcessBuilder builder =
        EmbeddedRunIT.launcher(
            tmp.resolve("lwise.log"),
            console,
            "run",
            "--dirmap",
            "../demo/fashion-mnist/dirmap.csv",
            "--model",
            "../demo/models/fashion-cnn-robust",
            "--eps",
            "1,2,4",
            "--out",
            tmp.resolve("lwise-out").toString(),
            "--serve");
    builder
        .environment()
        .put("LWISE_API_PORT", "0"); // the default 8090 may be taken on a test machine
    run = builder.start();
    long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
    String text = "";
    while (!text.contains("until Ctrl-C") && System.nanoTime() < deadline) {
      assertThat(run.isAlive()).as("lwise run stopped early:%n%s", text).isTrue();
      Thread.sleep(500);
      text = Files.readString(console);
    }
    assertThat(text).contains("300 done, 0 failed");
    Matcher line = API_LINE.matcher(text);
    assertThat(line.find()).as("start-up line names the API:%n%s", text).isTrue();
    api = line.group(1);
    assertThat(line.find()).as("and so does the summary").isTrue();
    assertThat(line.group(1)).isEqualTo(api);
  }

  @AfterAll
  static void stop() throws Exception {
    if (run != null) {
      run.destroy(); // SIGTERM, as Ctrl-C
      assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void theFirstTrialsShowEachClassesEasiestImagesWithTheFirstBlocksCondition() throws Exception {
    HeadlessChromium.assumeInstalled();
    try (HeadlessChromium chromium = HeadlessChromium.start()) {
      String page = api.replace("/api/v1/", "/experiment/") + "?seed=11&feedback_ms=50";
      chromium.open(page);
      chromium.waitFor(
          WAIT,
          d ->
              "running"
                  .equals(
                      chromium.script(
                          "return window.lwiseExperiment && window.lwiseExperiment.status")));
      assertThat(chromium.script("return window.lwiseExperiment.dataset"))
          .isEqualTo("fashion-mnist");
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> blocks =
          (List<Map<String, Object>>)
              chromium.script(
                  "return window.lwiseExperiment.blocks.map(b => ({easiest: b.easiest, condition: b.condition}))");
      assertThat(blocks.get(0)).containsEntry("condition", "4_0.5_8_logit");
      assertThat(blocks.get(1)).containsEntry("condition", "2_0.5_4_logit");
      assertThat(blocks.get(2)).containsEntry("condition", "1_0.5_2_logit");
      assertThat(blocks.get(blocks.size() - 1)).containsEntry("condition", "natural");

      chromium.driver().findElement(By.id("jspsych-instructions-next")).click();
      JsonNode datasets = get(api + "datasets");
      List<String> classes = JsonList.texts(datasets.get("datasets").get(0).get("classes"));
      for (int n = 0; n < 3; n++) {
        int trial = n;
        WebElement img =
            chromium.waitFor(
                WAIT,
                d -> {
                  List<WebElement> found =
                      d.findElements(
                          By.cssSelector("img.lwise-stimulus[data-trial='" + trial + "']"));
                  return found.isEmpty() ? null : found.get(0);
                });
        chromium.waitFor(
            WAIT,
            d ->
                (Boolean)
                    chromium.script(
                        "return arguments[0].complete && arguments[0].naturalWidth > 0", img));
        if (n == 0) {
          chromium.screenshot(Path.of("target", "demo-experiment", "first-trial.png"));
        }
        // Trial n shows class n's easiest pick of block 0: one of the class's 2 easiest train
        // images (round(18 × 0.1) = 2), under eps 4, loaded from the S3 store.
        String className = classes.get(n);
        JsonNode easiest =
            get(
                api
                    + "datasets/fashion-mnist/images?split=train&order=difficulty&limit=2&class="
                    + className.replace(" ", "%20").replace("/", "%2F"));
        List<String> easiestRows = JsonList.texts(easiest.get("images"), "row_index");
        assertThat(img.getAttribute("data-condition")).isEqualTo("4_0.5_8_logit");
        assertThat(easiestRows).contains(img.getAttribute("data-row-index"));
        JsonNode shown =
            get(api + "datasets/fashion-mnist/images/" + img.getAttribute("data-row-index"));
        assertThat(shown.get("class").asText()).isEqualTo(className);
        assertThat(img.getAttribute("src"))
            .isEqualTo(shown.get("urls").get("4_0.5_8_logit").asText());
        assertThat((Boolean) chromium.script("return arguments[0].naturalWidth > 0", img))
            .as("loaded")
            .isTrue();
        for (WebElement button :
            chromium
                .driver()
                .findElements(By.cssSelector("#jspsych-html-button-response-btngroup button"))) {
          if (button.getText().equals(className)) {
            button.click();
            break;
          }
        }
      }
      chromium.waitFor(
          WAIT,
          d ->
              ((Number) chromium.script("return window.lwiseExperiment.trials.length")).intValue()
                  >= 3);
      assertThat(chromium.consoleErrors())
          .filteredOn(e -> !e.contains("/api/v1/outcomes"))
          .isEmpty();
    }
  }

  private static JsonNode get(String url) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(url + " → " + response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  /** Reading JSON arrays as lists of text. */
  private static final class JsonList {
    static List<String> texts(JsonNode array) {
      List<String> list = new ArrayList<>();
      array.forEach(node -> list.add(node.asText()));
      return list;
    }

    static List<String> texts(JsonNode array, String field) {
      List<String> list = new ArrayList<>();
      array.forEach(node -> list.add(node.get(field).asText()));
      return list;
    }
  }
}
