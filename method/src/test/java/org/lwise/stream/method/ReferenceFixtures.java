package org.lwise.stream.method;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Reads what tools/make_reference.py wrote under src/test/resources/reference. */
final class ReferenceFixtures {
  static final Path DIR = Path.of("src/test/resources/reference");

  /** Model folders in index.json are relative to the repository root. */
  static final Path REPO = Path.of("..");

  final JsonNode index;

  ReferenceFixtures() {
    try {
      index = new ObjectMapper().readTree(DIR.resolve("index.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] bytes(String name) {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(DIR.resolve(name + ".gz")))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "missing fixture " + name + "; regenerate with tools/make_reference.py", e);
    }
  }

  static float[] f32(String name) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes(name)).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[buffer.remaining() / 4];
    buffer.asFloatBuffer().get(out);
    return out;
  }

  static float[] f16(String name) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes(name)).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[buffer.remaining() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = halfToFloat(buffer.getShort());
    }
    return out;
  }

  /** IEEE 754 half precision to float (Java 17 has no Float.float16ToFloat). */
  static float halfToFloat(short half) {
    int h = half & 0xFFFF;
    int sign = (h >>> 15) << 31;
    int exponent = (h >>> 10) & 0x1F;
    int mantissa = h & 0x3FF;
    if (exponent == 0) {
      return Float.intBitsToFloat(sign) + (sign == 0 ? 1 : -1) * mantissa * 0x1p-24f;
    }
    if (exponent == 31) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }

  /** A crop as CHW floats in [0,1], from the reference's HWC bytes. */
  static float[] chw(byte[] hwc, int size) {
    return Preprocessor.toChw(new RgbImage(size, size, hwc));
  }
}
