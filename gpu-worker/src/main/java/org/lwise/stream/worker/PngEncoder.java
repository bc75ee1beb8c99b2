package org.lwise.stream.worker;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * 8-bit RGB PNG straight from the interleaved pixels: one filter for every row (or per-row adaptive
 * choice, as ImageIO does) and a chosen deflate level. Lossless whatever the settings; they trade
 * size against CPU time (measured with {@code lwise bench-encode}). ImageIO's writer costs more
 * because it always filters adaptively, deflates at level 9 by default and goes through a
 * BufferedImage copy and an image output stream.
 */
public final class PngEncoder {
  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  /** PNG's row filters; ADAPTIVE picks per row the one with the least sum of absolute values. */
  public enum Filter {
    NONE,
    SUB,
    UP,
    AVERAGE,
    PAETH,
    ADAPTIVE;

    public static Filter parse(String name) {
      return valueOf(name.strip().toUpperCase(Locale.ROOT));
    }
  }

  private final Filter filter;
  private final int level;

  public PngEncoder(Filter filter, int level) {
    if (level < 0 || level > 9) {
      throw new IllegalArgumentException("deflate level must be 0..9, not " + level);
    }
    this.filter = filter;
    this.level = level;
  }

  public Filter filter() {
    return filter;
  }

  public int level() {
    return level;
  }

  /**
   * @param rgb width * height * 3 bytes, row by row
   */
  public byte[] encode(byte[] rgb, int width, int height) {
    int stride = width * 3;
    byte[] filtered = new byte[(stride + 1) * height];
    byte[] zeros = new byte[stride];
    byte[][] candidates = filter == Filter.ADAPTIVE ? new byte[5][stride] : null;
    for (int y = 0; y < height; y++) {
      int row = y * stride;
      int prior = y == 0 ? -1 : row - stride;
      int at = y * (stride + 1);
      if (filter == Filter.ADAPTIVE) {
        int best = 0;
        long bestSum = Long.MAX_VALUE;
        for (int f = 0; f < 5; f++) {
          filterRow(
              f,
              rgb,
              row,
              prior < 0 ? zeros : rgb,
              prior < 0 ? 0 : prior,
              stride,
              candidates[f],
              0);
          long sum = 0;
          for (byte b : candidates[f]) {
            sum += Math.abs((int) b);
          }
          if (sum < bestSum) {
            bestSum = sum;
            best = f;
          }
        }
        filtered[at] = (byte) best;
        System.arraycopy(candidates[best], 0, filtered, at + 1, stride);
      } else {
        int f = filter.ordinal();
        filtered[at] = (byte) f;
        filterRow(
            f, rgb, row, prior < 0 ? zeros : rgb, prior < 0 ? 0 : prior, stride, filtered, at + 1);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(filtered.length / 2 + 1024);
    out.writeBytes(SIGNATURE);
    byte[] header = new byte[13];
    putInt(header, 0, width);
    putInt(header, 4, height);
    header[8] = 8; // bit depth
    header[9] = 2; // colour type RGB
    chunk(out, "IHDR", header, header.length);
    Deflater deflater = new Deflater(level);
    try {
      deflater.setInput(filtered);
      deflater.finish();
      byte[] compressed = new byte[filtered.length + filtered.length / 1000 + 64];
      int length = 0;
      while (!deflater.finished()) {
        if (length == compressed.length) {
          compressed = Arrays.copyOf(compressed, compressed.length * 2);
        }
        length += deflater.deflate(compressed, length, compressed.length - length);
      }
      chunk(out, "IDAT", compressed, length);
    } finally {
      deflater.end();
    }
    chunk(out, "IEND", new byte[0], 0);
    return out.toByteArray();
  }

  /**
   * Filters one row (3 bytes per pixel) of {@code src} at {@code row} against the row at {@code
   * prior} of {@code up}.
   */
  private static void filterRow(
      int type, byte[] src, int row, byte[] up, int prior, int stride, byte[] dst, int at) {
    switch (type) {
      case 0 -> System.arraycopy(src, row, dst, at, stride);
      case 1 -> {
        for (int i = 0; i < stride; i++) {
          int left = i >= 3 ? src[row + i - 3] & 0xff : 0;
          dst[at + i] = (byte) ((src[row + i] & 0xff) - left);
        }
      }
      case 2 -> {
        for (int i = 0; i < stride; i++) {
          dst[at + i] = (byte) ((src[row + i] & 0xff) - (up[prior + i] & 0xff));
        }
      }
      case 3 -> {
        for (int i = 0; i < stride; i++) {
          int left = i >= 3 ? src[row + i - 3] & 0xff : 0;
          dst[at + i] = (byte) ((src[row + i] & 0xff) - ((left + (up[prior + i] & 0xff)) >>> 1));
        }
      }
      default -> {
        for (int i = 0; i < stride; i++) {
          int a = i >= 3 ? src[row + i - 3] & 0xff : 0;
          int b = up[prior + i] & 0xff;
          int c = i >= 3 ? up[prior + i - 3] & 0xff : 0;
          int p = a + b - c;
          int pa = Math.abs(p - a);
          int pb = Math.abs(p - b);
          int pc = Math.abs(p - c);
          int predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          dst[at + i] = (byte) ((src[row + i] & 0xff) - predictor);
        }
      }
    }
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data, int length) {
    byte[] head = new byte[8];
    putInt(head, 0, length);
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(name, 0, head, 4, 4);
    out.write(head, 0, 8);
    out.write(data, 0, length);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data, 0, length);
    byte[] tail = new byte[4];
    putInt(tail, 0, (int) crc.getValue());
    out.write(tail, 0, 4);
  }

  private static void putInt(byte[] target, int at, int value) {
    target[at] = (byte) (value >>> 24);
    target[at + 1] = (byte) (value >>> 16);
    target[at + 2] = (byte) (value >>> 8);
    target[at + 3] = (byte) value;
  }
}
