package org.lwise.stream.launcher.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.lwise.stream.common.AtomicFiles;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.launcher.report.ReportCharts.Point;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.Job;

/**
 * One self-contained HTML page per job: the job and its failures, difficulty histograms, each
 * class's easiest and hardest images, a sample of images in every condition with perturbation maps
 * and gt-logits before and after, image statistics against the robust gt-logit, and human outcomes
 * when the dirmap has a {@code human_accuracy} column. Pictures are data URIs and the charts script
 * (Chart.js, bundled at build time) is inlined, so the file opens from its folder or from S3 with
 * no network.
 */
public final class JobReport {
  /** Where the aggregator's build puts the charts bundle; absent in builds with -Dweb.skip. */
  static final String CHARTS_RESOURCE = "/report/report-charts.js";

  /** Images per class in the easiest/hardest strips, and their display side. */
  static final int STRIP = 5;

  static final int THUMBNAIL = 96;

  /** Display side of the sample's images and maps. */
  static final int SAMPLE = 160;

  private final ReportInput input;
  private final DirmapFile natural;
  private final Map<String, DirmapFile> conditions = new LinkedHashMap<>();
  private final ReportImages images = new ReportImages();
  private final ReportCharts charts = new ReportCharts();
  private final ReportPage page = new ReportPage();
  private final List<Item> items = new ArrayList<>();

  /** A scored row of the natural dirmap. */
  record Item(
      List<String> row,
      String className,
      int label,
      String split,
      double difficulty,
      double logit) {}

  private JobReport(ReportInput input) {
    this.input = input;
    Path naturalCsv = input.dirmaps().get(Conditions.NATURAL);
    if (naturalCsv == null) {
      throw new IllegalStateException(
          "job " + input.job().getJobId() + " has no natural dirmap yet");
    }
    this.natural = DirmapFile.read(naturalCsv);
    for (Condition c : input.job().getConditions()) {
      Path csv = input.dirmaps().get(c.getId());
      if (csv != null) {
        conditions.put(c.getId(), DirmapFile.read(csv));
      }
    }
    String labelColumn = input.job().getLabelColumn();
    for (List<String> row : natural.rows()) {
      Double difficulty = natural.number(row, "difficulty");
      Double logit = natural.number(row, "robust_gt_logit");
      Double label = natural.number(row, labelColumn);
      if (difficulty == null || logit == null || label == null) {
        continue;
      }
      String className = natural.has("class") ? natural.cell(row, "class") : null;
      String split = natural.cell(row, "split");
      items.add(
          new Item(
              row,
              className == null ? String.valueOf(label.intValue()) : className,
              label.intValue(),
              split == null ? "(none)" : split,
              difficulty,
              logit));
    }
    items.sort(Comparator.comparingInt(Item::label).thenComparingDouble(Item::difficulty));
  }

  /** Builds the report of {@code input} and writes it to {@code file} (atomically). */
  public static Path write(ReportInput input, Path file) {
    AtomicFiles.write(file, html(input, chartsScript()).getBytes(StandardCharsets.UTF_8));
    return file;
  }

  /** The page, with {@code chartsScript} inlined (null: the charts are left blank with a note). */
  static String html(ReportInput input, String chartsScript) {
    return new JobReport(input).build(chartsScript);
  }

  /** The bundled charts script, or null when this build has none. */
  static String chartsScript() {
    try (InputStream in = JobReport.class.getResourceAsStream(CHARTS_RESOURCE)) {
      return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String build(String chartsScript) {
    Job job = input.job();
    page.open("L-WISE Stream report: " + job.getDataset());
    new JobSection(input, natural, conditions, items.size()).write(page);
    difficulty();
    strips();
    enhancements();
    statistics();
    human();
    return page.close(specsJson(), chartsScript);
  }

  /** Classes in label order, each with its items from easiest to hardest. */
  private Map<String, List<Item>> byClass() {
    Map<String, List<Item>> classes = new LinkedHashMap<>();
    items.forEach(
        item -> classes.computeIfAbsent(item.className(), k -> new ArrayList<>()).add(item));
    return classes;
  }

  private void difficulty() {
    page.heading("Difficulty", "difficulty");
    page.paragraph(
        "difficulty = 1 − (l − min)/(max − min) of the robust gt-logit l over the job's scored rows "
            + "(0 = easiest). "
            + items.size()
            + " scored images.");
    Map<String, List<Double>> bySplit = new TreeMap<>();
    items.forEach(
        i -> bySplit.computeIfAbsent(i.split(), k -> new ArrayList<>()).add(i.difficulty()));
    Map<String, List<Double>> perClass = new LinkedHashMap<>();
    byClass()
        .forEach((name, list) -> perClass.put(name, list.stream().map(Item::difficulty).toList()));
    page.chartRow(List.of("difficulty-all", "difficulty-class", "difficulty-split"));
    charts.histogram(
        "difficulty-all",
        "All images",
        "difficulty",
        Map.of("all", items.stream().map(Item::difficulty).toList()));
    charts.histogram("difficulty-class", "Per class", "difficulty", perClass);
    charts.histogram("difficulty-split", "Per split", "difficulty", bySplit);
  }

  private void strips() {
    page.heading("Easiest and hardest images of each class", "strips");
    page.startTable("strips", "class", "easiest " + STRIP, "hardest " + STRIP);
    byClass()
        .forEach(
            (name, list) -> {
              List<Item> easiest = list.subList(0, Math.min(STRIP, list.size()));
              List<Item> hardest =
                  new ArrayList<>(list.subList(Math.max(0, list.size() - STRIP), list.size()));
              Collections.reverse(hardest);
              page.row(page.escape(name), thumbnails(easiest), thumbnails(hardest));
            });
    page.endTable();
  }

  private String thumbnails(List<Item> list) {
    StringBuilder html = new StringBuilder();
    for (Item item : list) {
      var image = images.read(natural.image(item.row()));
      String caption = String.format("%.3f", item.difficulty());
      html.append(
          image == null
              ? page.missing(caption)
              : page.figure(
                  images.dataUri(image, THUMBNAIL),
                  natural.cell(item.row(), "im_path"),
                  caption,
                  THUMBNAIL));
    }
    return html.toString();
  }

  private void enhancements() {
    page.heading("Enhancements", "enhancements");
    if (conditions.isEmpty()) {
      page.paragraph("This job has no enhancement conditions.");
      return;
    }
    page.paragraph(
        "For each class, its easiest, median and hardest image: natural, then each condition with its "
            + "perturbation map |x_eps − x0| summed over the channels (in [0,1] pixel units, 0 to 3), coloured on the "
            + "row's scale. gt-logit is the robust model's logit of the label: before (natural) → after (the image as "
            + "written)"
            + (input.modelCard() == null
                ? "; after is not computed without the model card."
                : "."));
    new EnhancementSection(input, natural, conditions, images, page).write(sample());
  }

  /** Easiest, median and hardest of each class (fewer for small classes). */
  private List<Item> sample() {
    List<Item> sample = new ArrayList<>();
    byClass()
        .forEach(
            (name, list) -> {
              for (int i : new int[] {0, (list.size() - 1) / 2, list.size() - 1}) {
                if (!sample.contains(list.get(i))) {
                  sample.add(list.get(i));
                }
              }
            });
    return sample;
  }

  private void statistics() {
    page.heading("Image statistics and model difficulty", "statistics");
    if (!natural.has("image_entropy")) {
      page.paragraph("This dirmap has no image statistics columns (written by an older worker).");
      return;
    }
    List<String> ids = List.of("entropy-logit", "dct-logit");
    List<String> notes = new ArrayList<>();
    String[][] columns = {
      {"image_entropy", "mean local entropy (bits, 9×9)"},
      {"dct_relevant_fraction", "fraction of relevant DCT coefficients"}
    };
    for (int s = 0; s < 2; s++) {
      Map<String, List<Point>> series = new LinkedHashMap<>();
      for (Item item : items) {
        Double x = natural.number(item.row(), columns[s][0]);
        if (x != null) {
          series
              .computeIfAbsent(item.className(), k -> new ArrayList<>())
              .add(new Point(x, item.logit(), natural.cell(item.row(), "im_path")));
        }
      }
      Double rho = ReportCharts.spearman(series);
      charts.scatter(
          ids.get(s),
          columns[s][1] + " vs robust gt-logit",
          columns[s][1],
          "robust_gt_logit",
          series,
          false);
      notes.add(
          columns[s][0]
              + ": Spearman ρ with robust_gt_logit = "
              + (rho == null ? "n/a" : String.format("%.3f", rho))
              + (rho == null ? "" : String.format(" (with difficulty: %.3f)", -rho)));
    }
    page.chartRow(ids);
    page.list("spearman", notes);
  }

  private void human() {
    if (!natural.has("human_accuracy")) {
      return;
    }
    Map<String, List<Point>> perImage = new LinkedHashMap<>();
    for (Item item : items) {
      Double human = natural.number(item.row(), "human_accuracy");
      if (human != null) {
        perImage
            .computeIfAbsent(item.className(), k -> new ArrayList<>())
            .add(new Point(1 - item.difficulty(), human, natural.cell(item.row(), "im_path")));
      }
    }
    if (perImage.isEmpty()) {
      return;
    }
    page.heading("Model and human outcomes", "human");
    // Calibration: images in ten bins of model ease (1 − difficulty), mean human accuracy per bin.
    double[] sum = new double[ReportCharts.BINS];
    int[] count = new int[ReportCharts.BINS];
    double[] ease = new double[ReportCharts.BINS];
    perImage
        .values()
        .forEach(
            points ->
                points.forEach(
                    p -> {
                      int bin =
                          Math.max(
                              0,
                              Math.min(
                                  ReportCharts.BINS - 1,
                                  (int) Math.floor(p.x() * ReportCharts.BINS)));
                      sum[bin] += p.y();
                      ease[bin] += p.x();
                      count[bin]++;
                    }));
    List<Point> calibration = new ArrayList<>();
    for (int b = 0; b < ReportCharts.BINS; b++) {
      if (count[b] > 0) {
        calibration.add(new Point(ease[b] / count[b], sum[b] / count[b], count[b] + " images"));
      }
    }
    charts.scatter(
        "human-images",
        "Human accuracy vs model ease, per image",
        "model ease (1 − difficulty)",
        "human accuracy",
        perImage,
        false);
    charts.scatter(
        "human-calibration",
        "Calibration: mean human accuracy per bin of model ease",
        "model ease (1 − difficulty)",
        "human accuracy",
        Map.of("bins", calibration),
        true);
    page.chartRow(List.of("human-images", "human-calibration"));
    Double rho = ReportCharts.spearman(perImage);
    page.paragraph(
        "Spearman ρ of model ease and human accuracy: "
            + (rho == null ? "n/a" : String.format("%.3f", rho)));
  }

  private String specsJson() {
    try {
      return new ObjectMapper().writeValueAsString(charts.specs());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
