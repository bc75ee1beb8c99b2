package org.lwise.stream.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.schema.ImageRecord;

class ImagePreparationTest {
  @Test
  void shouldTurnAHostileImageIntoAFailedRowNotACrash() throws Exception {
    ImagePreparation preparation =
        new ImagePreparation(null, new ImageSource(() -> null), 28, new ImageDecoder());
    ImageRecord record = new ImageRecord();
    record.setImage(ByteBuffer.wrap(pngHeaderOnly(100_000, 100_000)));
    PreparedImage prepared = preparation.prepare(record);
    assertThat(prepared.failure()).startsWith("broken image: PNG of 100000×100000");
  }

  /**
   * The signature and IHDR of an 8-bit RGB PNG: enough for the decoder to refuse its size unread.
   */
  private static byte[] pngHeaderOnly(int width, int height) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    ByteBuffer ihdr =
        ByteBuffer.allocate(13)
            .putInt(width)
            .putInt(height)
            .put((byte) 8)
            .put((byte) 2)
            .put((byte) 0)
            .put((byte) 0)
            .put((byte) 0);
    byte[] type = "IHDR".getBytes(StandardCharsets.US_ASCII);
    out.writeInt(13);
    out.write(type);
    out.write(ihdr.array());
    CRC32 crc = new CRC32();
    crc.update(type);
    crc.update(ihdr.array());
    out.writeInt((int) crc.getValue());
    return bytes.toByteArray();
  }
}
