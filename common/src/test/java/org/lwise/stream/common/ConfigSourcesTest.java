package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigSourcesTest {
  @Test
  void shouldLayerFileThenEnvironmentThenCommandLine(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("lwise.properties");
    Files.writeString(
        file, "bootstrap.servers=file:9092\nregistry.url=http://file\ns3.region=eu-west-1\n");
    Map<String, String> merged =
        ConfigSources.merge(
            file,
            Map.of(
                "LWISE_REGISTRY_URL",
                "http://env",
                "LWISE_S3_BUCKET_PREFIX",
                "lab",
                "PATH",
                "/bin"),
            Map.of("s3.region", "us-west-2"));
    assertThat(merged)
        .containsEntry("bootstrap.servers", "file:9092")
        .containsEntry("registry.url", "http://env")
        .containsEntry("s3.bucket.prefix", "lab")
        .containsEntry("s3.region", "us-west-2")
        .doesNotContainKey("path");
  }

  @Test
  void shouldApplyDefaultsAndValidateAtStartUp() {
    ConnectionConfig config =
        ConnectionConfig.from(Map.of("bootstrap.servers", "k:9092", "registry.url", "http://r"));
    assertThat(config.topicPartitions()).isEqualTo(8);
    assertThat(config.s3Layout().urlTemplate()).isEqualTo(S3Layout.AWS_URL_TEMPLATE);
    assertThat(config.s3PublicRead()).isTrue();
    assertThatThrownBy(() -> ConnectionConfig.from(Map.of("registry.url", "http://r")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bootstrap.servers");
    assertThatThrownBy(
            () ->
                ConnectionConfig.from(
                    Map.of(
                        "bootstrap.servers",
                        "k:9092",
                        "registry.url",
                        "http://r",
                        "s3.layout",
                        "flat")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("s3.layout");
    assertThatThrownBy(
            () ->
                ConnectionConfig.from(
                    Map.of(
                        "bootstrap.servers",
                        "k:9092",
                        "registry.url",
                        "http://r",
                        "s3.layout",
                        "prefix-per-condition")))
        .hasMessageContaining("s3.bucket");
  }
}
