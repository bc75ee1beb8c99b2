package org.lwise.stream.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {
  private static final Map<String, String> BASE =
      Map.of("bootstrap.servers", "k:9092", "registry.url", "http://r", "worker.model.card", "m");

  @Test
  void shouldValidateTheDeviceAtStartUp() {
    assertThat(WorkerConfig.from(BASE).device()).isEqualTo("auto");
    Map<String, String> bad = new HashMap<>(BASE);
    bad.put("worker.device", "gpu1");
    assertThatThrownBy(() -> WorkerConfig.from(bad))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("worker.device")
        .hasMessageContaining("auto, cpu, gpu or gpu:N");
  }

  @Test
  void shouldReadThePixelLimitAndValidateIt() {
    assertThat(WorkerConfig.from(BASE).maxImagePixels()).isEqualTo(50_000_000L);
    Map<String, String> set = new HashMap<>(BASE);
    set.put("worker.max.image.pixels", "1000000");
    assertThat(WorkerConfig.from(set).maxImagePixels()).isEqualTo(1_000_000L);
    set.put("worker.max.image.pixels", "0");
    assertThatThrownBy(() -> WorkerConfig.from(set))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("worker.max.image.pixels");
  }
}
