package org.lwise.stream.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.RowState;

/** Output dirmaps of a published, already scored L-WISE dirmap run through the pipeline again. */
class DirmapTableTest {
  static final DirmapTable.Table MHIST = PublishedDirmaps.read("mhist_dirmap.csv");
  static final List<String> OURS_IN_MHIST =
      List.of(
          "orig_im_path",
          "url",
          "robust_gt_logit",
          "robust_entropy",
          "robust_cross_entropy",
          "difficulty");

  @Test
  void shouldPutThisRunsValuesInTheInputsColumnsAndMoveTheInputsToTheEnd() {
    DirmapTable.Table table =
        DirmapTable.build(
            job(MHIST.header(), false),
            Conditions.NATURAL,
            rows(MHIST),
            new DirmapTable.LogitRange(-1, 3));

    List<String> header = new ArrayList<>(MHIST.header());
    header.addAll(List.of("output_im_path", "robust_predicted_class"));
    OURS_IN_MHIST.forEach(name -> header.add(name + "_input"));
    assertThat(table.header()).containsExactlyElementsOf(header);
    assertThat(table.rows()).hasSize(100);

    List<String> input = MHIST.rows().get(0);
    List<String> output = table.rows().get(0);
    Map<String, String> ours =
        Map.of(
            "orig_im_path",
            "images/MHIST_ecx.png",
            "url",
            "https://lab-mhist-natural.s3.amazonaws.com/images/MHIST_ecx.png",
            "robust_gt_logit",
            "1.0",
            "difficulty",
            "0.5",
            "robust_entropy",
            "0.25",
            "robust_cross_entropy",
            "0.125");
    for (int i = 0; i < MHIST.header().size(); i++) {
      String name = MHIST.header().get(i);
      assertThat(output.get(i)).as(name).isEqualTo(ours.getOrDefault(name, input.get(i)));
    }
    for (String name : OURS_IN_MHIST) {
      assertThat(output.get(header.indexOf(name + "_input")))
          .as(name + "_input")
          .isEqualTo(input.get(MHIST.header().indexOf(name)));
    }
    assertThat(output.get(header.indexOf("output_im_path"))).isEqualTo("images/MHIST_ecx.png");
    assertThat(output.get(header.indexOf("robust_predicted_class"))).isEqualTo("0");
  }

  @Test
  void shouldKeepTheInputsColumnsAndAddOursAsLwiseWhenAsked() {
    DirmapTable.Table table =
        DirmapTable.build(
            job(MHIST.header(), true),
            Conditions.NATURAL,
            rows(MHIST),
            new DirmapTable.LogitRange(-1, 3));

    List<String> header = new ArrayList<>(MHIST.header());
    header.addAll(
        List.of(
            "output_im_path",
            "robust_gt_logit_lwise",
            "difficulty_lwise",
            "url_lwise",
            "robust_entropy_lwise",
            "robust_cross_entropy_lwise",
            "robust_predicted_class"));
    assertThat(table.header()).containsExactlyElementsOf(header);
    List<String> output = table.rows().get(0);
    assertThat(output.subList(0, MHIST.header().size())).isEqualTo(MHIST.rows().get(0));
    assertThat(output.get(header.indexOf("difficulty_lwise"))).isEqualTo("0.5");
  }

  @Test
  void shouldNotOverwriteTheInputColumnsOfAnEarlierRun() {
    // A dirmap this pipeline wrote, run again: its difficulty_input is kept too.
    List<String> columns =
        List.of("split", "class", "class_num", "im_path", "difficulty", "difficulty_input");
    List<String> cells = List.of("train", "hp", "0", "a.png", "0.2", "0.3");
    RowState row = row(cells, "a.png", 0, 1.0);
    DirmapTable.Table table =
        DirmapTable.build(
            job(columns, false),
            Conditions.NATURAL,
            List.of(row),
            new DirmapTable.LogitRange(-1, 3));
    assertThat(table.header())
        .startsWith("split", "class", "class_num", "im_path", "difficulty", "difficulty_input")
        .endsWith("robust_predicted_class", "difficulty_input_2");
    assertThat(table.rows().get(0))
        .startsWith("train", "hp", "0", "a.png", "0.5", "0.3")
        .endsWith("0", "0.2");
  }

  @Test
  void shouldLeaveAScoreColumnEmptyRatherThanShowTheInputsValueAsOurs() {
    RowState unscored = rows(MHIST).get(0);
    unscored.setRobustGtLogit(null);
    DirmapTable.Table table =
        DirmapTable.build(
            job(MHIST.header(), false),
            Conditions.NATURAL,
            List.of(unscored),
            new DirmapTable.LogitRange(-1, 3));
    assertThat(table.rows().get(0).get(MHIST.header().indexOf("difficulty"))).isNull();
    assertThat(table.rows().get(0).get(table.header().indexOf("difficulty_input")))
        .isEqualTo("0.4034930915846111");
  }

  static Job job(List<String> columns, boolean keepInputColumns) {
    return Job.newBuilder()
        .setJobId("j1")
        .setDataset("mhist")
        .setModelId("m")
        .setLabelColumn("class_num")
        .setColumns(columns)
        .setScore(true)
        .setConditions(List.of())
        .setClassesPresent(List.of(0, 1))
        .setOutputFormat(ImageFormat.PNG)
        .setKeepInputColumns(keepInputColumns)
        .setRowCount(MHIST.rows().size())
        .setCreatedAt(Instant.EPOCH)
        .build();
  }

  /**
   * Every row scored with logit 1 (difficulty 0.5 in [-1, 3]) and uploaded to the natural bucket.
   */
  static List<RowState> rows(DirmapTable.Table dirmap) {
    List<RowState> rows = new ArrayList<>();
    int label = dirmap.header().indexOf("class_num");
    int imPath = dirmap.header().indexOf("im_path");
    for (List<String> cells : dirmap.rows()) {
      rows.add(row(cells, cells.get(imPath), Integer.parseInt(cells.get(label)), 1.0));
    }
    return rows;
  }

  static RowState row(List<String> cells, String imPath, int label, double logit) {
    return RowState.newBuilder()
        .setJobId("j1")
        .setRowIndex(0)
        .setValues(cells)
        .setImPath(imPath)
        .setLabel(label)
        .setRobustGtLogit(logit)
        .setRobustEntropy(0.25)
        .setRobustCrossEntropy(0.125)
        .setPredictedClass(label)
        .setUrls(Map.of(Conditions.NATURAL, "https://lab-mhist-natural.s3.amazonaws.com/" + imPath))
        .setPaths(Map.of(Conditions.NATURAL, imPath))
        .setComplete(true)
        .build();
  }
}
