package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lwise.stream.aggregator.AggregatorConfig;
import org.lwise.stream.common.SettingsLoader;
import org.lwise.stream.common.stage.MonitoringSettings;
import org.lwise.stream.uploader.UploaderConfig;
import org.lwise.stream.worker.WorkerConfig;

class StageSettingsTest {
  @Test
  void shouldRefuseAMisspelledKeyNamingTheKeysOfItsGroup(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("lwise.properties");
    Files.writeString(file, "bootstrap.servers=k:9092\nworker.max.batchsize=64\n");
    assertThatThrownBy(() -> StageSettings.load(file, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown setting 'worker.max.batchsize' in " + file)
        .hasMessageContaining("worker.max.batch.size");
  }

  @Test
  void shouldRefuseAMisspelledEnvironmentVariableButNotTheScriptsOwn() {
    assertThatThrownBy(() -> StageSettings.load(null, Map.of("LWISE_S3_ENDPIONT", "http://s3")))
        .hasMessageContaining("'s3.endpiont' from the environment")
        .hasMessageContaining("s3.endpoint");
    Map<String, String> loaded =
        StageSettings.load(
            null,
            Map.of(
                "LWISE_JAVA_OPTS",
                "-Xmx8g",
                "LWISE_LOG_FILE",
                "x.log",
                "LWISE_MAVEN_ARGS",
                "-Pcuda",
                "LWISE_WORKER_MAX_BATCH_SIZE",
                "16",
                "HOME",
                "/"));
    assertThat(loaded).containsOnly(Map.entry("worker.max.batch.size", "16"));
  }

  @Test
  void shouldKnowEveryKeyOfTheComposeConfiguration() throws Exception {
    // Compose cannot run here; this keeps its stage configuration in step with the code.
    Map<String, String> compose =
        StageSettings.load(Path.of("../compose/lwise.properties"), Map.of());
    assertThat(compose)
        .containsKeys("bootstrap.servers", "registry.url", "s3.endpoint", "worker.model.card");
    assertThat(
            Path.of(
                "..",
                compose.get("worker.model.card").replace("/opt/lwise/", ""),
                "model-card.json"))
        .exists();
    Map<String, String> environment = new HashMap<>();
    Matcher variable =
        Pattern.compile("(?m)^\\s+(LWISE_[A-Z_]+):\\s+(\\S+)") // environment entries
            .matcher(Files.readString(Path.of("../compose/docker-compose.yml")));
    while (variable.find()) {
      environment.put(variable.group(1), variable.group(2));
    }
    assertThat(environment).isNotEmpty();
    assertThat(StageSettings.load(null, environment)).hasSameSizeAs(environment);
  }

  /**
   * A stage's own main checks its keys and leaves the other stages' groups alone: every key lwise
   * knows must be either the stage's or in such a group, or a shared file would stop that stage.
   */
  @ParameterizedTest
  @ValueSource(strings = {"worker", "uploader", "aggregator"})
  void shouldLetEachStageMainReadTheSharedFileAndStillRefuseItsOwnTypos(
      String stage, @TempDir Path dir) throws Exception {
    ConfigDef own =
        switch (stage) {
          case "worker" -> WorkerConfig.DEFINITION;
          case "uploader" -> UploaderConfig.DEFINITION;
          default -> AggregatorConfig.DEFINITION;
        };
    SettingsLoader loader = SettingsLoader.forStage(List.of(own, MonitoringSettings.DEFINITION));
    Map<String, String> everyKey = new HashMap<>();
    StageSettings.KNOWN.forEach(key -> everyKey.put(key, "x"));
    loader.requireKnown(everyKey, "in the shared file");
    Path file = dir.resolve("lwise.properties");
    Files.writeString(file, "bootstrap.servers=k:9092\n" + stage + ".group.idd=g\n");
    assertThatThrownBy(() -> loader.load(file, Map.of()))
        .hasMessageContaining("unknown setting '" + stage + ".group.idd' in " + file);
    assertThatThrownBy(() -> loader.load(null, Map.of("LWISE_METRICS_PROT", "9400")))
        .hasMessageContaining("metrics.port");
  }

  @Test
  void shouldDocumentEveryKeyInTheReadme() throws Exception {
    String readme = Files.readString(Path.of("../README.md"));
    assertThat(StageSettings.KNOWN)
        .allSatisfy(key -> assertThat(readme).contains("| `" + key + "` |"));
  }
}
