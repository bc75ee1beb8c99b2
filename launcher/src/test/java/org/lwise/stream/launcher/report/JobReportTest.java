package org.lwise.stream.launcher.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.HeadlessChromium;
import org.lwise.stream.method.ImageStatistics;
import org.lwise.stream.method.RgbImage;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.Objective;
import org.openqa.selenium.Dimension;

/**
 * The report of a small synthetic job written to a temp folder as the pipeline writes one (dirmaps
 * per condition, images under each condition's folder), then opened in headless Chromium.
 */
class JobReportTest {
  static final Path MODEL = Path.of("../demo/models/fashion-cnn-robust");
  static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover");
  static final int PER_CLASS = 4;
  static final int SIZE = 28;
  static final Condition EPS1 = Conditions.create(1, 0.5, 2, Objective.LOGIT, List.of(), false);

  @TempDir Path tmp;

  @Test
  void shouldWriteEverySectionWithItsChartsAndImages() throws IOException {
    String html = JobReport.html(input(false, MODEL), "/* charts */");
    // Difficulty (all, per class, per split) and the two image statistics.
    assertThat(count(html, "<canvas")).isEqualTo(5);
    // Strips: 4 easiest + 4 hardest per class; sample: easiest, median, hardest per class, each as
    // natural + enhanced + perturbation map.
    assertThat(count(html, "<img"))
        .isEqualTo(CLASSES.size() * 2 * PER_CLASS + CLASSES.size() * 3 * 3);
    assertThat(html)
        .contains(
            "id=\"job\"",
            "id=\"conditions\"",
            "id=\"failures\"",
            "id=\"difficulty\"",
            "id=\"strips\"",
            "id=\"enhancements\"",
            "id=\"statistics\"")
        .doesNotContain("id=\"human\"")
        .contains(
            "decode failed: not an image", "synth_1_0.5_2_logit/synth_1_0.5_2_logit_dirmap.csv")
        .contains("image_entropy: Spearman ρ with robust_gt_logit = ")
        .contains("run time", "42.0 s");
    // Every sample image of the condition has its after-logit, from the model.
    Matcher after = Pattern.compile("gt-logit -?[0-9.]+ → (-?[0-9.]+|\\?)").matcher(html);
    int scored = 0;
    while (after.find()) {
      assertThat(after.group(1)).isNotEqualTo("?");
      scored++;
    }
    assertThat(scored).isEqualTo(CLASSES.size() * 3);
  }

  @Test
  void shouldAddModelAndHumanOutcomesWhenTheDirmapHasThem() throws IOException {
    String html = JobReport.html(input(true, null), "/* charts */");
    assertThat(count(html, "<canvas")).isEqualTo(7);
    assertThat(html)
        .contains("id=\"human\"", "Spearman ρ of model ease and human accuracy")
        .contains("after is not computed without the model card");
  }

  @Test
  void shouldShowTheReportInABrowserWithNoConsoleErrors() throws IOException {
    String charts = JobReport.chartsScript();
    Assumptions.assumeTrue(
        charts != null, "no charts bundle on the classpath (a build with -Dweb.skip)");
    HeadlessChromium.assumeInstalled();
    Path report = JobReport.write(input(true, MODEL), tmp.resolve("out/synth_report.html"));
    try (HeadlessChromium chromium = HeadlessChromium.start()) {
      chromium.open(report.toUri().toString());
      chromium.waitFor(
          Duration.ofSeconds(30),
          d -> chromium.script("return document.body.dataset.chartsDrawn") != null);
      assertThat(chromium.consoleErrors()).isEmpty();
      long canvases = (Long) chromium.script("return document.querySelectorAll('canvas').length");
      assertThat(canvases).isEqualTo(7);
      assertThat(chromium.script("return document.body.dataset.chartsDrawn")).isEqualTo("7");
      // Each chart has painted something: some non-transparent pixels on its canvas.
      assertThat(
              (Long)
                  chromium.script(
                      "return [...document.querySelectorAll('canvas')].filter(c => {"
                          + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                          + " for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) return false; } return true; }).length"))
          .as("blank canvases")
          .isZero();
      long images = (Long) chromium.script("return document.images.length");
      assertThat(images).isEqualTo(CLASSES.size() * 2 * PER_CLASS + CLASSES.size() * 3 * 3);
      assertThat(
              (Long)
                  chromium.script(
                      "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length"))
          .as("images that did not load")
          .isZero();
      long height = (Long) chromium.script("return document.documentElement.scrollHeight");
      chromium
          .driver()
          .manage()
          .window()
          .setSize(new Dimension(1280, (int) Math.min(height + 40, 4000)));
      Path screenshot = chromium.screenshot(Path.of("target/report-screenshots/report.png"));
      assertThat(screenshot).isNotEmptyFile();
    }
  }

  private static int count(String html, String tag) {
    int n = 0;
    for (int i = html.indexOf(tag); i >= 0; i = html.indexOf(tag, i + 1)) {
      n++;
    }
    return n;
  }

  /**
   * Three classes of four images: stripes of a class-specific frequency with noise; the natural
   * dirmap and the condition's, with their images; one dead letter.
   */
  private ReportInput input(boolean human, Path model) throws IOException {
    Path out = tmp.resolve("out");
    Random random = new Random(5);
    List<String> header =
        new ArrayList<>(
            List.of(
                "split",
                "class",
                "class_num",
                "im_path",
                "orig_im_path",
                "output_im_path",
                "robust_gt_logit",
                "difficulty",
                "url",
                "robust_entropy",
                "robust_cross_entropy",
                "robust_predicted_class",
                "image_entropy",
                "dct_relevant_fraction"));
    if (human) {
      header.add("human_accuracy");
    }
    List<String> natural = new ArrayList<>(List.of(String.join(",", header)));
    List<String> enhanced = new ArrayList<>(natural);
    int n = CLASSES.size() * PER_CLASS;
    for (int i = 0; i < n; i++) {
      int label = i / PER_CLASS;
      String path = "images/c" + label + "/" + i + ".png";
      RgbImage x0 = stripes(label + 1, 20 + 40 * (i % PER_CLASS), random);
      write(out.resolve("synth_natural").resolve(path), x0);
      write(out.resolve("synth_" + EPS1.getId()).resolve(path), nudge(x0, random));
      double logit = 4 - i % PER_CLASS - 0.3 * label;
      ImageStatistics.Values stats = ImageStatistics.of(x0);
      String row =
          String.join(
                  ",",
                  i % 3 == 0 ? "test" : "train",
                  "\"" + CLASSES.get(label) + "\"",
                  String.valueOf(label),
                  path,
                  path,
                  path,
                  String.valueOf(logit),
                  String.valueOf((4 - logit) / 3.6),
                  "",
                  "0.5",
                  "0.5",
                  String.valueOf(label),
                  String.valueOf(stats.entropy()),
                  String.valueOf(stats.dctRelevantFraction()))
              + (human ? "," + (1 - 0.2 * (i % PER_CLASS)) : "");
      natural.add(row);
      enhanced.add(row);
    }
    Path naturalCsv = out.resolve("synth_natural/synth_natural_dirmap.csv");
    Path enhancedCsv =
        out.resolve("synth_" + EPS1.getId() + "/synth_" + EPS1.getId() + "_dirmap.csv");
    Files.write(naturalCsv, natural);
    Files.write(enhancedCsv, enhanced);
    Job job =
        Job.newBuilder()
            .setJobId("job-1")
            .setDataset("synth")
            .setModelId("fashion-cnn-robust")
            .setLabelColumn("class_num")
            .setColumns(header.subList(0, 4))
            .setScore(true)
            .setConditions(List.of(EPS1))
            .setRowCount(n + 1)
            .setCreatedAt(Instant.parse("2026-01-01T10:00:00Z"))
            // Every field set: Avro's builder would otherwise deep-copy the defaults through its
            // class-trust check.
            .setClassesPresent(List.of(0, 1, 2))
            .setOutputFormat(ImageFormat.PNG)
            .setKeepInputColumns(false)
            .setRowsAhead(List.of())
            .setOpenEnded(false)
            .setReferenceJobId(null)
            .build();
    DeadLetter failure =
        DeadLetter.newBuilder()
            .setStage("ingest")
            .setReason("decode failed: not an image")
            .setJobId("job-1")
            .setRowIndex((long) n)
            .setSource("images/broken.png")
            .setAt(Instant.parse("2026-01-01T10:00:01Z"))
            .build();
    return new ReportInput(
        job,
        Map.of(Conditions.NATURAL, naturalCsv, EPS1.getId(), enhancedCsv),
        List.of(failure),
        42.0,
        Instant.parse("2026-01-01T10:00:42Z"),
        model);
  }

  private static RgbImage stripes(int frequency, int contrast, Random random) {
    byte[] px = new byte[SIZE * SIZE * 3];
    for (int y = 0; y < SIZE; y++) {
      for (int x = 0; x < SIZE; x++) {
        int v =
            128
                + (int) (contrast * Math.sin(2 * Math.PI * frequency * x / SIZE))
                + random.nextInt(9)
                - 4;
        for (int c = 0; c < 3; c++) {
          px[3 * (y * SIZE + x) + c] = (byte) Math.max(0, Math.min(255, v + 10 * c));
        }
      }
    }
    return new RgbImage(SIZE, SIZE, px);
  }

  /** A small change concentrated in the image's centre, like an enhancement's. */
  private static RgbImage nudge(RgbImage image, Random random) {
    byte[] px = image.pixels().clone();
    for (int y = 10; y < 18; y++) {
      for (int x = 10; x < 18; x++) {
        int i = 3 * (y * SIZE + x);
        px[i] = (byte) Math.min(255, (px[i] & 0xFF) + 10 + random.nextInt(10));
      }
    }
    return new RgbImage(SIZE, SIZE, px);
  }

  private static void write(Path file, RgbImage image) throws IOException {
    BufferedImage out =
        new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < image.height(); y++) {
      for (int x = 0; x < image.width(); x++) {
        out.setRGB(
            x, y, (image.get(x, y, 0) << 16) | (image.get(x, y, 1) << 8) | image.get(x, y, 2));
      }
    }
    Files.createDirectories(file.getParent());
    ImageIO.write(out, "png", file.toFile());
  }
}
