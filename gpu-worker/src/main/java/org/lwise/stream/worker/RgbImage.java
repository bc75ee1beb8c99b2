package org.lwise.stream.worker;

/** An 8-bit RGB image, pixels interleaved row by row (r, g, b, r, g, b, …). */
public record RgbImage(int width, int height, byte[] pixels) {
  public RgbImage {
    if (pixels.length != width * height * 3) {
      throw new IllegalArgumentException("expected " + width * height * 3 + " bytes, got " + pixels.length);
    }
  }

  public int get(int x, int y, int channel) {
    return pixels[(y * width + x) * 3 + channel] & 0xFF;
  }
}
