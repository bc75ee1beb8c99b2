package org.lwise.stream.method;

/** An 8-bit RGB image, pixels interleaved row by row (r, g, b, r, g, b, …). */
public record RgbImage(int width, int height, byte[] pixels) {
  public RgbImage {
    if (pixels.length != width * height * 3) {
      throw new IllegalArgumentException(
          "expected " + width * height * 3 + " bytes, got " + pixels.length);
    }
  }

  /**
   * The 8-bit image of CHW floats, as the reference converts: {@code floor(x·255 + 0.5)} clamped to
   * [0,255].
   */
  public static RgbImage fromChw(float[] chw, int size) {
    int plane = size * size;
    byte[] px = new byte[3 * plane];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < plane; i++) {
        // Truncation is floor for every value the clamp keeps (≥ 0), and below 0 both clamp to 0;
        // Math.floor here was StrictMath's, not an intrinsic, and a fifth of the codec pool's time.
        int v = (int) (chw[c * plane + i] * 255f + 0.5f);
        px[3 * i + c] = (byte) Math.max(0, Math.min(255, v));
      }
    }
    return new RgbImage(size, size, px);
  }

  public int get(int x, int y, int channel) {
    return pixels[(y * width + x) * 3 + channel] & 0xFF;
  }
}
