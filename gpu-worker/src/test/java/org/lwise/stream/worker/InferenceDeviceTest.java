package org.lwise.stream.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class InferenceDeviceTest {
  @Test
  void shouldPickTheFirstGpuWhenThereIsOneAndTheCpuOtherwise() {
    assertThat(InferenceDevice.select("auto", 2)).isEqualTo(Device.gpu(0));
    assertThat(InferenceDevice.select("auto", 0)).isEqualTo(Device.cpu());
    assertThat(InferenceDevice.select("cpu", 2)).isEqualTo(Device.cpu());
    assertThat(InferenceDevice.select("gpu", 1)).isEqualTo(Device.gpu(0));
    assertThat(InferenceDevice.select("gpu:3", 4)).isEqualTo(Device.gpu(3));
  }

  @Test
  void shouldRefuseAGpuTheEngineDoesNotSee() {
    assertThatThrownBy(() -> InferenceDevice.select("gpu:1", 1))
        .hasMessageContaining("device gpu:1 asked for, but the PyTorch engine sees 1 GPU(s)");
    assertThatThrownBy(() -> InferenceDevice.select("cuda", 1)).hasMessageContaining("not one of auto, cpu, gpu, gpu:N");
  }

  @Test
  void shouldLoadTheModelOnTheDeviceTheEngineOffers() {
    // These machines carry DJL's CPU natives: auto means the CPU, and a GPU request fails at start-up.
    try (RobustClassifier model = RobustClassifier.load(Path.of("src/test/resources/models/fashion-cnn"),
        InferenceDevice.select("auto"))) {
      assertThat(model.device()).isEqualTo(Device.cpu());
    }
    assertThatThrownBy(() -> InferenceDevice.select("gpu")).hasMessageContaining("sees 0 GPU(s)");
  }

  @Test
  void shouldValidateTheSettingAtStartUp() {
    Map<String, String> base = Map.of("bootstrap.servers", "k:9092", "registry.url", "http://r",
        "worker.model.card", "m");
    assertThat(WorkerConfig.from(base).device()).isEqualTo("auto");
    Map<String, String> bad = new java.util.HashMap<>(base);
    bad.put("worker.device", "gpu1");
    assertThatThrownBy(() -> WorkerConfig.from(bad)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("worker.device").hasMessageContaining("auto, cpu, gpu or gpu:N");
  }
}
