package org.lwise.stream.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.method.RgbImage;
import org.lwise.stream.schema.ImageFormat;

class PngEncoderTest {
  @Test
  void shouldBeLosslessWithEveryFilterAndLevel() throws Exception {
    // Odd sizes and extreme values exercise the filters' edges (first row, first pixel,
    // wrap-around).
    Random random = new Random(7);
    int width = 13;
    int height = 9;
    byte[] pixels = new byte[width * height * 3];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i % 5 == 0 ? 255 : i % 7 == 0 ? 0 : random.nextInt(256));
    }
    for (PngEncoder.Filter filter : PngEncoder.Filter.values()) {
      for (int level : new int[] {0, 1, 6, 9}) {
        byte[] png = new PngEncoder(filter, level).encode(pixels, width, height);
        RgbImage decoded = new ImageDecoder().decode(png);
        assertThat(decoded.width()).isEqualTo(width);
        assertThat(decoded.pixels()).as(filter + " level " + level).isEqualTo(pixels);
        assertThat(ImageIO.read(new ByteArrayInputStream(png)).getRGB(3, 4))
            .as("the JDK's reader agrees")
            .isEqualTo(0xff000000 | rgb(pixels, (4 * width + 3) * 3));
      }
    }
  }

  @Test
  void shouldBeUsedForPngOutputsOnlyWhenConfigured() {
    RgbImage image = new RgbImage(2, 1, new byte[] {1, 2, 3, (byte) 250, (byte) 251, (byte) 252});
    OutputEncoder.Encoded png =
        OutputEncoder.of("paeth", 1).encode(image, "a/b.jpg", ImageFormat.PNG);
    assertThat(new ImageDecoder().decode(png.bytes()).pixels()).isEqualTo(image.pixels());
    assertThat(
            OutputEncoder.of("imageio", 1)
                .encode(image, "a/b.jpg", ImageFormat.SOURCE)
                .contentType())
        .isEqualTo("image/jpeg");
  }

  private static int rgb(byte[] pixels, int at) {
    return (pixels[at] & 0xff) << 16 | (pixels[at + 1] & 0xff) << 8 | pixels[at + 2] & 0xff;
  }
}
