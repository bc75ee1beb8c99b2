package org.lwise.stream.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCardTest {
  @Test
  void shouldReadTheDemoModelCard() {
    ModelCard card = ModelCard.read(Path.of("../demo/models/fashion-cnn-init"));
    assertThat(card.id()).isEqualTo("fashion-cnn-init");
    assertThat(card.inputSize()).isEqualTo(28);
    assertThat(card.numClasses()).isEqualTo(10);
    assertThat(card.classNames()).hasSize(10).startsWith("T-shirt/top");
  }

  @Test
  void shouldRefuseCardsMissingWhatThePipelineNeeds(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve(ModelCard.FILE_NAME),
        "{\"id\":\"m\",\"file\":\"m.pt\",\"input_size\":224,\"mean\":[0.5,0.5],\"std\":[1,1,1],\"num_classes\":7}");
    assertThatThrownBy(() -> ModelCard.read(dir))
        .hasMessageContaining("mean and std need 3 values");
  }
}
