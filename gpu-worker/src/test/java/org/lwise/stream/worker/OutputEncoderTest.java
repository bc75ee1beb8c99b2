package org.lwise.stream.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.method.RgbImage;
import org.lwise.stream.schema.ImageFormat;

class OutputEncoderTest {
  @Test
  void shouldWriteLosslessPngUnderAPngNameAndKeepTheSourceFormatWhenAsked() throws Exception {
    RgbImage image = new RgbImage(2, 1, new byte[] {1, 2, 3, (byte) 250, (byte) 251, (byte) 252});
    OutputEncoder encoder = new OutputEncoder();
    OutputEncoder.Encoded png = encoder.encode(image, "images\\nv\\ISIC_1.jpg", ImageFormat.PNG);
    assertThat(png.path()).isEqualTo("images\\nv\\ISIC_1.png");
    assertThat(png.contentType()).isEqualTo("image/png");
    assertThat(new ImageDecoder().decode(png.bytes()).pixels()).isEqualTo(image.pixels());
    OutputEncoder.Encoded jpeg = encoder.encode(image, "a/b.jpg", ImageFormat.SOURCE);
    assertThat(jpeg.path()).isEqualTo("a/b.jpg");
    assertThat(jpeg.contentType()).isEqualTo("image/jpeg");
    assertThat(ImageIO.read(new ByteArrayInputStream(jpeg.bytes())).getWidth()).isEqualTo(2);
  }
}
