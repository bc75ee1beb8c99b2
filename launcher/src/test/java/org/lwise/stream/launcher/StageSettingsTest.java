package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void shouldDocumentEveryKeyInTheReadme() throws Exception {
    String readme = Files.readString(Path.of("../README.md"));
    assertThat(StageSettings.KNOWN)
        .allSatisfy(key -> assertThat(readme).contains("| `" + key + "` |"));
  }
}
