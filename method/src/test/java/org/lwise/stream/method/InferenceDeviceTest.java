package org.lwise.stream.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.nio.file.Path;
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
    assertThatThrownBy(() -> InferenceDevice.select("cuda", 1))
        .hasMessageContaining("not one of auto, cpu, gpu, gpu:N");
  }

  @Test
  void shouldLoadTheModelOnTheDeviceTheEngineOffers() {
    // These machines carry DJL's CPU natives: auto means the CPU, and a GPU request fails at
    // start-up.
    try (RobustClassifier model =
        RobustClassifier.load(
            Path.of("src/test/resources/models/fashion-cnn"), InferenceDevice.select("auto"))) {
      assertThat(model.device()).isEqualTo(Device.cpu());
    }
    assertThatThrownBy(() -> InferenceDevice.select("gpu")).hasMessageContaining("sees 0 GPU(s)");
  }
}
