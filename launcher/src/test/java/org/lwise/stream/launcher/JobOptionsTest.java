package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.schema.ImageFormat;
import picocli.CommandLine;

/** The CLI translates options into a job request, and nothing more. */
class JobOptionsTest {
  private static JobRequest parse(String... args) {
    RunCommand command = new RunCommand();
    new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args);
    return command.job.toRequest(null);
  }

  @Test
  void shouldBuildThePublishedSweepFromTheDefaults() {
    JobRequest request =
        parse(
            "--dirmap",
            "../demo/fashion-mnist/dirmap.csv",
            "--model",
            "../demo/models/fashion-cnn-standard",
            "--eps",
            "0.25,0.5,8",
            "--objective",
            "logit_diverge");
    assertThat(request.conditions())
        .extracting(c -> c.getId())
        .containsExactly(
            "0.25_0.5_1_logit_diverge", "0.5_0.5_1_logit_diverge", "8_0.5_16_logit_diverge");
    assertThat(request.score()).isTrue();
    assertThat(request.dataset()).isEqualTo("fashion-mnist");
    assertThat(request.modelId()).isEqualTo("fashion-cnn-standard");
    assertThat(request.labelColumn()).isEqualTo("class_num");
    assertThat(request.outputFormat()).isEqualTo(ImageFormat.PNG);
    assertThat(request.keepInputColumns()).isFalse();
  }

  @Test
  void shouldTranslateEveryJobOption() {
    JobRequest request =
        parse(
            "--dirmap",
            "../demo/fashion-mnist/dirmap.csv",
            "--model",
            "../demo/models/fashion-cnn-standard",
            "--eps",
            "2",
            "--step-size",
            "1",
            "--num-steps",
            "3",
            "--objective",
            "cross_entropy",
            "--attack",
            "--random-start",
            "--num-augs",
            "2",
            "--aug-types",
            "color,cutout",
            "--no-score",
            "--format",
            "source",
            "--dataset",
            "HAM10000",
            "--label-column",
            "orig_class_num",
            "--keep-input-columns");
    assertThat(request.conditions())
        .singleElement()
        .satisfies(
            c ->
                assertThat(c.getId())
                    .isEqualTo("2_1_3_cross_entropy_attack_randstart_views2_color_cutout"));
    assertThat(request.score()).isFalse();
    assertThat(request.outputFormat()).isEqualTo(ImageFormat.SOURCE);
    assertThat(request.dataset()).isEqualTo("HAM10000");
    assertThat(request.labelColumn()).isEqualTo("orig_class_num");
    assertThat(request.keepInputColumns()).isTrue();
    assertThat(request.dirmap()).isEqualTo(Path.of("../demo/fashion-mnist/dirmap.csv"));
  }

  @Test
  void shouldExplainBadValues() {
    assertThatThrownBy(
            () ->
                parse(
                    "--dirmap",
                    "d.csv",
                    "--model",
                    "../demo/models/fashion-cnn-standard",
                    "--eps",
                    "1",
                    "--objective",
                    "hinge"))
        .hasMessageContaining("Invalid value for option '--objective'")
        .hasMessageContaining("LOGIT, CROSS_ENTROPY, LOGIT_DIVERGE")
        .hasMessageNotContaining("No enum constant");
    assertThatThrownBy(
            () ->
                parse(
                    "--dirmap",
                    "d.csv",
                    "--model",
                    "../demo/models/fashion-cnn-standard",
                    "--eps",
                    "1",
                    "--format",
                    "jpeg"))
        .hasMessageContaining("Invalid value for option '--format'")
        .hasMessageContaining("PNG, SOURCE");
    assertThatThrownBy(() -> parse("--model", "../demo/models/fashion-cnn-standard", "--eps", "1"))
        .hasMessageContaining("--dirmap is required");
    assertThatThrownBy(
            () ->
                parse(
                    "--dirmap",
                    "d.csv",
                    "--model",
                    "../demo/models/fashion-cnn-standard",
                    "--no-score"))
        .hasMessageContaining("nothing to do");
  }

  @Test
  void shouldNameTheObjectivesWhenRunOrSubmitIsGivenAnUnknownOne() {
    for (String command : List.of("run", "submit")) {
      CommandRun run =
          CommandRun.lwise(
              command, "--model", "../demo/models/fashion-cnn-standard", "--objective", "logits");
      assertThat(run.code()).as(command).isEqualTo(2);
      assertThat(run.errors())
          .as(command)
          .contains("Invalid value for option '--objective'")
          .contains("LOGIT, CROSS_ENTROPY, LOGIT_DIVERGE")
          .doesNotContain("No enum constant");
    }
  }

  @Test
  void shouldRefuseDatasetNamesThatWouldBecomeBadPathsOrBuckets() {
    String[] job = {
      "--dirmap",
      "../demo/fashion-mnist/dirmap.csv",
      "--model",
      "../demo/models/fashion-cnn-standard",
      "--eps",
      "1",
      "--dataset"
    };
    for (String bad : List.of("../../x", "a/b", "", "a".repeat(64), "Nævus")) {
      String[] args = Arrays.copyOf(job, job.length + 1);
      args[job.length] = bad;
      assertThatThrownBy(() -> parse(args))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("--dataset")
          .hasMessageContaining("is not a valid dataset name")
          .hasMessageContaining("1 to 63 characters from A-Z a-z 0-9 . _ -");
    }
    assertThatThrownBy(
            () ->
                parse(
                    "--dirmap",
                    "../demo/fashion-mnist/dirmap.csv",
                    "--model",
                    "../demo/models/fashion-cnn-standard",
                    "--eps",
                    "1",
                    "--dataset",
                    "../../x"))
        .hasMessageStartingWith("--dataset '../../x' is not a valid dataset name");
    assertThat(
            parse(
                    "--dirmap",
                    "../demo/fashion-mnist/dirmap.csv",
                    "--model",
                    "../demo/models/fashion-cnn-standard",
                    "--eps",
                    "1",
                    "--dataset",
                    "ham4_v2.1")
                .dataset())
        .isEqualTo("ham4_v2.1");
  }

  @Test
  void shouldAskForADatasetNameWhenTheDirmapsFolderNameIsNotOne(@TempDir Path dir)
      throws Exception {
    Path folder = Files.createDirectory(dir.resolve("my images (v2)"));
    Path dirmap =
        Files.writeString(folder.resolve("dirmap.csv"), "split,class,class_num,im_path\n");
    assertThatThrownBy(
            () ->
                parse(
                    "--dirmap",
                    dirmap.toString(),
                    "--model",
                    "../demo/models/fashion-cnn-standard",
                    "--eps",
                    "1"))
        .hasMessage(
            "the dirmap's folder name 'my images (v2)' cannot be the dataset name ("
                + "1 to 63 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit, without \"..\");"
                + " name the dataset with --dataset");
  }
}
