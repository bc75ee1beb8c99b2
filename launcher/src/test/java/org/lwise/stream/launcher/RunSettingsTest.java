package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The layering of {@code lwise run}'s settings: defaults → embedded servers' connection → file →
 * environment → command line, for every key.
 */
class RunSettingsTest {
  static final Map<String, String> EMBEDDED =
      Map.of(
          "bootstrap.servers", "127.0.0.1:40001",
          "registry.url", "http://127.0.0.1:40002/apis/registry/v2",
          "s3.endpoint", "http://127.0.0.1:40003",
          "s3.path.style", "true",
          "s3.url.template", "http://127.0.0.1:40003/{bucket}/{key}");

  static RunCommand parsed(String... args) {
    RunCommand run = new RunCommand();
    new CommandLine(run).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args);
    return run;
  }

  static Path awsStyleFile(Path dir) throws Exception {
    Path file = dir.resolve("lwise.properties");
    Files.writeString(
        file,
        """
        s3.bucket.prefix=morgan
        s3.url.template=https://{bucket}.s3.amazonaws.com/{key}
        worker.model.card=models/another
        aggregator.output.dir=elsewhere
        """);
    return file;
  }

  @Test
  void shouldLetTheFilesUrlTemplateAndPrefixWinOverTheEmbeddedConnection(@TempDir Path dir)
      throws Exception {
    RunCommand run = parsed("--dirmap", "d.csv", "--model", "models/robust", "--out", "out");
    Map<String, String> settings =
        run.settings(StageSettings.load(awsStyleFile(dir), Map.of()), EMBEDDED);
    assertThat(settings)
        .containsEntry("s3.url.template", "https://{bucket}.s3.amazonaws.com/{key}")
        .containsEntry("s3.bucket.prefix", "morgan")
        // what the file does not name still comes from the embedded servers
        .containsEntry("s3.endpoint", "http://127.0.0.1:40003")
        .containsEntry("bootstrap.servers", "127.0.0.1:40001");
  }

  @Test
  void shouldLetModelAndOutWinOverTheFile(@TempDir Path dir) throws Exception {
    RunCommand run = parsed("--dirmap", "d.csv", "--model", "models/robust", "--out", "out");
    Map<String, String> settings =
        run.settings(StageSettings.load(awsStyleFile(dir), Map.of()), EMBEDDED);
    assertThat(settings)
        .containsEntry("worker.model.card", "models/robust")
        .containsEntry("aggregator.output.dir", "out")
        .containsEntry("uploader.local.dir", "out");
  }

  @Test
  void shouldTakeTheFilesOutputFolderWhenOutIsNotGiven(@TempDir Path dir) throws Exception {
    RunCommand run = parsed("--dirmap", "d.csv", "--model", "models/robust");
    Map<String, String> user = StageSettings.load(awsStyleFile(dir), Map.of());
    assertThat(run.outputFolder(user)).isEqualTo(Path.of("elsewhere"));
    assertThat(run.settings(user, EMBEDDED))
        .containsEntry("aggregator.output.dir", "elsewhere")
        .containsEntry("uploader.local.dir", "elsewhere");
    assertThat(run.outputFolder(Map.of())).isEqualTo(Path.of(RunCommand.DEFAULT_OUT));
  }

  @Test
  void shouldLetTheEnvironmentWinOverTheFileAndTheCommandLineOverBoth(@TempDir Path dir)
      throws Exception {
    RunCommand run = parsed("--dirmap", "d.csv", "--model", "models/robust", "--batch-size", "4");
    Map<String, String> settings =
        run.settings(
            StageSettings.load(
                awsStyleFile(dir),
                Map.of(
                    "LWISE_S3_URL_TEMPLATE", "https://cdn.example/{bucket}/{key}",
                    "LWISE_WORKER_MAX_BATCH_SIZE", "16")),
            EMBEDDED);
    assertThat(settings)
        .containsEntry("s3.url.template", "https://cdn.example/{bucket}/{key}")
        .containsEntry("worker.max.batch.size", "4");
  }

  @Test
  void shouldReadTheCorsOriginsOfTheEmbeddedStore(@TempDir Path dir) throws Exception {
    assertThat(StageSettings.corsOrigins(Map.of())).containsExactly("*");
    Path file = dir.resolve("cors.properties");
    Files.writeString(file, "s3.cors.origins=https://experiments.example, http://localhost:8000\n");
    assertThat(StageSettings.corsOrigins(StageSettings.load(file, Map.of())))
        .isEqualTo(List.of("https://experiments.example", "http://localhost:8000"));
  }
}
