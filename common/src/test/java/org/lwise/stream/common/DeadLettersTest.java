package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeadLettersTest {
  @Test
  void shouldClassifyReasonsWithoutRowsPathsOrNumbers() {
    assertThat(DeadLetters.reasonClass("row 12 (imgs/a.png): image cannot be decoded: bad header"))
        .isEqualTo("image cannot be decoded");
    assertThat(
            DeadLetters.reasonClass(
                "unreadable image record at lwise.images-3@1200: SerializationException"))
        .isEqualTo("unreadable image record at lwise.images-#@#");
    assertThat(
            DeadLetters.reasonClass(
                "cannot upload a/b.png (natural): The specified bucket is not valid"))
        .isEqualTo("cannot upload");
    assertThat(DeadLetters.reasonClass(null)).isEqualTo("unknown");
  }
}
