package org.lwise.stream.common.stage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StageMetricsTest {
  @Test
  void shouldClassifyReasonsWithoutRowsPathsOrNumbers() {
    assertThat(StageMetrics.reasonClass("row 12 (imgs/a.png): image cannot be decoded: bad header"))
        .isEqualTo("image cannot be decoded");
    assertThat(StageMetrics.reasonClass("unreadable image record at lwise.images-3@1200: SerializationException"))
        .isEqualTo("unreadable image record at lwise.images-#@#");
    assertThat(StageMetrics.reasonClass("cannot upload a/b.png (natural): The specified bucket is not valid"))
        .isEqualTo("cannot upload");
    assertThat(StageMetrics.reasonClass(null)).isEqualTo("unknown");
  }
}
