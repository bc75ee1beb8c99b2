package org.lwise.stream.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.lwise.stream.schema.ImageFormat;

class ImageCodecTest {
  private final ImageDecoder decoder = new ImageDecoder();

  @Test
  void shouldRefuseBytesThatAreNotAnImageWithAReason() throws Exception {
    assertThatThrownBy(() -> decoder.decode("not an image".getBytes()))
        .isInstanceOf(ImageDecoder.UndecodableImageException.class)
        .hasMessageContaining("not an image in a supported format");
    byte[] png = Files.readAllBytes(Path.of("src/test/resources/reference/images/rgba.png"));
    byte[] truncated = java.util.Arrays.copyOf(png, 200);
    assertThatThrownBy(() -> decoder.decode(truncated)).isInstanceOf(ImageDecoder.UndecodableImageException.class);
  }

  @Test
  void shouldConvertOutputsTo8BitByFloorOfXTimes255PlusHalf() {
    float[] chw = new float[3];
    chw[0] = 0.5f / 255f;   // 0.5 -> floor(1.0) = 1
    chw[1] = 1.2f;          // clamped to 255
    chw[2] = -0.1f;         // clamped to 0
    RgbImage image = OutputEncoder.to8Bit(chw, 1);
    assertThat(image.get(0, 0, 0)).isEqualTo(1);
    assertThat(image.get(0, 0, 1)).isEqualTo(255);
    assertThat(image.get(0, 0, 2)).isEqualTo(0);
  }

  @Test
  void shouldWriteLosslessPngUnderAPngNameAndKeepTheSourceFormatWhenAsked() throws Exception {
    RgbImage image = new RgbImage(2, 1, new byte[] {1, 2, 3, (byte) 250, (byte) 251, (byte) 252});
    OutputEncoder encoder = new OutputEncoder();
    OutputEncoder.Encoded png = encoder.encode(image, "images\\nv\\ISIC_1.jpg", ImageFormat.PNG);
    assertThat(png.path()).isEqualTo("images\\nv\\ISIC_1.png");
    assertThat(png.contentType()).isEqualTo("image/png");
    assertThat(decoder.decode(png.bytes()).pixels()).isEqualTo(image.pixels());
    OutputEncoder.Encoded jpeg = encoder.encode(image, "a/b.jpg", ImageFormat.SOURCE);
    assertThat(jpeg.path()).isEqualTo("a/b.jpg");
    assertThat(jpeg.contentType()).isEqualTo("image/jpeg");
    assertThat(ImageIO.read(new ByteArrayInputStream(jpeg.bytes())).getWidth()).isEqualTo(2);
  }

  @Test
  void shouldScoreTheGroundTruthLogit() {
    GroundTruthLogitScorer.Scores s = GroundTruthLogitScorer.score(new float[] {1f, 3f, 0f}, 0);
    assertThat(s.gtLogit()).isEqualTo(1.0);
    assertThat(s.predicted()).isEqualTo(1);
    double lse = Math.log(Math.exp(1) + Math.exp(3) + Math.exp(0));
    assertThat(s.crossEntropy()).isCloseTo(lse - 1, org.assertj.core.data.Offset.offset(1e-12));
    double entropy = 0;
    for (double z : new double[] {1, 3, 0}) {
      double p = Math.exp(z - lse);
      entropy -= p * Math.log(p);
    }
    assertThat(s.entropy()).isCloseTo(entropy, org.assertj.core.data.Offset.offset(1e-12));
    assertThatThrownBy(() -> GroundTruthLogitScorer.score(new float[] {1f, 2f}, 7)).hasMessageContaining("out of range");
  }
}
