package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.lwise.stream.schema.ImageFormat;

class OutputPathsTest {
  @Test
  void shouldWritePngOutputUnderTheInputPathWithAPngExtension() {
    assertThat(OutputPaths.of("img/a.jpg", ImageFormat.PNG)).isEqualTo("img/a.png");
    assertThat(OutputPaths.of("img/a.png", ImageFormat.PNG)).isEqualTo("img/a.png");
    assertThat(OutputPaths.of("img.d/a", ImageFormat.PNG)).isEqualTo("img.d/a.png");
    assertThat(OutputPaths.of("img/a.jpg", ImageFormat.SOURCE)).isEqualTo("img/a.jpg");
  }

  @Test
  void shouldGiveOnePathEveryWayOfWritingIt() {
    assertThat(OutputPaths.identity(" img\\a.png")).isEqualTo("img/a.png");
    assertThat(OutputPaths.identity("/img/./b/../a.png")).isEqualTo("img/a.png");
    assertThat(OutputPaths.identity("img//a.png")).isEqualTo("img/a.png");
    assertThat(OutputPaths.identity("Img/a.png"))
        .as("S3 keys are case-sensitive")
        .isNotEqualTo("img/a.png");
  }
}
