package org.lwise.stream.launcher.report;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.lwise.stream.launcher.report.JobReport.Item;
import org.lwise.stream.method.RgbImage;

/**
 * The sample's rows: the natural image, then each condition's image with its perturbation map, all
 * maps of a row on one scale (its largest value), and the gt-logit before → after.
 */
final class EnhancementSection {
  private final ReportInput input;
  private final DirmapFile natural;
  private final Map<String, DirmapFile> conditions;
  private final ReportImages images;
  private final ReportPage page;

  EnhancementSection(
      ReportInput input,
      DirmapFile natural,
      Map<String, DirmapFile> conditions,
      ReportImages images,
      ReportPage page) {
    this.input = input;
    this.natural = natural;
    this.conditions = conditions;
    this.images = images;
    this.page = page;
  }

  void write(List<Item> sample) {
    // Each condition's rows by im_path: a diverge_from condition leaves some rows out.
    Map<String, Map<String, List<String>>> byPath = new HashMap<>();
    conditions.forEach(
        (id, dirmap) -> {
          Map<String, List<String>> rows = new HashMap<>();
          dirmap.rows().forEach(row -> rows.put(dirmap.cell(row, "im_path"), row));
          byPath.put(id, rows);
        });
    List<String> ids = new ArrayList<>(conditions.keySet());
    List<RgbImage> naturals = new ArrayList<>();
    List<List<RgbImage>> enhanced = new ArrayList<>();
    List<EnhancedLogits.Request> requests = new ArrayList<>();
    for (Item item : sample) {
      naturals.add(images.read(natural.image(item.row())));
      List<RgbImage> row = new ArrayList<>();
      for (String id : ids) {
        List<String> conditionRow = byPath.get(id).get(natural.cell(item.row(), "im_path"));
        RgbImage image =
            conditionRow == null ? null : images.read(conditions.get(id).image(conditionRow));
        row.add(image);
        requests.add(new EnhancedLogits.Request(image, item.label()));
      }
      enhanced.add(row);
    }
    List<Double> after =
        input.modelCard() == null || requests.isEmpty()
            ? null
            : EnhancedLogits.of(input.modelCard(), requests);

    List<String> headers = new ArrayList<>(List.of("image", "natural"));
    headers.addAll(ids);
    page.startTable("enhancements", headers.toArray(String[]::new));
    for (int s = 0; s < sample.size(); s++) {
      Item item = sample.get(s);
      RgbImage x0 = naturals.get(s);
      List<double[]> maps = new ArrayList<>();
      double scale = 0;
      for (RgbImage image : enhanced.get(s)) {
        double[] map = x0 == null || image == null ? null : ReportImages.perturbation(x0, image);
        maps.add(map);
        for (double v : map == null ? new double[0] : map) {
          scale = Math.max(scale, v);
        }
      }
      List<String> cells = new ArrayList<>();
      cells.add(
          page.escape(item.className())
              + "<br>"
              + page.escape(natural.cell(item.row(), "im_path"))
              + String.format(
                  "<br>difficulty %.3f<br>gt-logit %.3f", item.difficulty(), item.logit())
              + "<br>map scale 0 <span class=\"scale\" style=\"background: "
              + ReportImages.cssGradient()
              + "\"></span> "
              + String.format("%.3f", scale));
      cells.add(
          x0 == null
              ? page.missing("natural")
              : page.figure(
                  images.dataUri(x0, JobReport.SAMPLE),
                  "natural",
                  String.format("gt-logit %.3f", item.logit()),
                  JobReport.SAMPLE));
      for (int c = 0; c < ids.size(); c++) {
        RgbImage image = enhanced.get(s).get(c);
        Double logitAfter = after == null ? null : after.get(s * ids.size() + c);
        String caption =
            "gt-logit "
                + String.format("%.3f", item.logit())
                + " → "
                + (logitAfter == null ? "?" : String.format("%.3f", logitAfter));
        if (image == null) {
          cells.add(
              page.missing(
                  byPath.get(ids.get(c)).containsKey(natural.cell(item.row(), "im_path"))
                      ? caption
                      : "not in this condition"));
          continue;
        }
        String mapFigure =
            maps.get(c) == null
                ? ""
                : page.figure(
                    images.heatMap(
                        maps.get(c), image.width(), image.height(), scale, JobReport.SAMPLE),
                    "perturbation map",
                    "|x_eps − x0|",
                    JobReport.SAMPLE);
        cells.add(
            page.figure(
                    images.dataUri(image, JobReport.SAMPLE), ids.get(c), caption, JobReport.SAMPLE)
                + mapFigure);
      }
      page.row(cells.toArray(String[]::new));
    }
    page.endTable();
  }
}
