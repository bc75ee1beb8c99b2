package org.lwise.stream.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ImageCodecTest {
  private final ImageDecoder decoder = new ImageDecoder();

  @Test
  void shouldRefuseBytesThatAreNotAnImageWithAReason() throws Exception {
    assertThatThrownBy(() -> decoder.decode("not an image".getBytes()))
        .isInstanceOf(ImageDecoder.UndecodableImageException.class)
        .hasMessageContaining("not an image in a supported format");
    byte[] png = Files.readAllBytes(Path.of("src/test/resources/reference/images/rgba.png"));
    byte[] truncated = Arrays.copyOf(png, 200);
    assertThatThrownBy(() -> decoder.decode(truncated))
        .isInstanceOf(ImageDecoder.UndecodableImageException.class);
  }

  @Test
  void shouldConvertOutputsTo8BitByFloorOfXTimes255PlusHalf() {
    float[] chw = new float[3];
    chw[0] = 0.5f / 255f; // 0.5 -> floor(1.0) = 1
    chw[1] = 1.2f; // clamped to 255
    chw[2] = -0.1f; // clamped to 0
    RgbImage image = RgbImage.fromChw(chw, 1);
    assertThat(image.get(0, 0, 0)).isEqualTo(1);
    assertThat(image.get(0, 0, 1)).isEqualTo(255);
    assertThat(image.get(0, 0, 2)).isEqualTo(0);
  }

  @Test
  void shouldConvertEveryValueAsFloorWouldAroundEachRoundingEdge() {
    // Values just below, at and above each k/255 − 0.5/255 edge, negatives, NaN and extremes.
    float[] values = new float[3 * 256 * 3 + 6];
    int n = 0;
    for (int k = 0; k < 256 * 3; k++) {
      float edge = (k / 3 - 0.5f) / 255f;
      values[n++] = k % 3 == 0 ? Math.nextDown(edge) : k % 3 == 1 ? edge : Math.nextUp(edge);
    }
    for (float v : new float[] {-0.7f / 255f, -1e9f, 1e9f, Float.NaN, 0f, 1f}) {
      values[n++] = v;
    }
    int size = 1;
    while (3 * size * size < n) {
      size++;
    }
    float[] chw = Arrays.copyOf(values, 3 * size * size);
    RgbImage image = RgbImage.fromChw(chw, size);
    int plane = size * size;
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < plane; i++) {
        double floor = Math.floor(chw[c * plane + i] * 255f + 0.5f);
        int expected = (int) Math.max(0, Math.min(255, Double.isNaN(floor) ? 0 : floor));
        assertThat(image.get(i % size, i / size, c))
            .as("%s", chw[c * plane + i])
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void shouldScoreTheGroundTruthLogit() {
    GroundTruthLogitScorer.Scores s = GroundTruthLogitScorer.score(new float[] {1f, 3f, 0f}, 0);
    assertThat(s.gtLogit()).isEqualTo(1.0);
    assertThat(s.predicted()).isEqualTo(1);
    double lse = Math.log(Math.exp(1) + Math.exp(3) + Math.exp(0));
    assertThat(s.crossEntropy()).isCloseTo(lse - 1, offset(1e-12));
    double entropy = 0;
    for (double z : new double[] {1, 3, 0}) {
      double p = Math.exp(z - lse);
      entropy -= p * Math.log(p);
    }
    assertThat(s.entropy()).isCloseTo(entropy, offset(1e-12));
    assertThatThrownBy(() -> GroundTruthLogitScorer.score(new float[] {1f, 2f}, 7))
        .hasMessageContaining("out of range");
  }
}
