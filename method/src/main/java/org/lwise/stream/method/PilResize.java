package org.lwise.stream.method;

/**
 * Pillow's antialiased bilinear resampling ({@code Image.resize(size, BILINEAR)}), written out by
 * hand because no Java library reproduces it: a triangle filter widened by the scale factor, fixed
 * point coefficients with 22 fractional bits, a horizontal pass rounded to 8 bits, then a vertical
 * pass. Following Pillow's arithmetic exactly is what makes the preprocessed pixels match the
 * reference (torchvision's {@code Resize} on PIL images) instead of differing by a level or two.
 */
public final class PilResize {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private PilResize() {}

  public static RgbImage resize(RgbImage in, int outWidth, int outHeight) {
    if (outWidth == in.width() && outHeight == in.height()) {
      return in;
    }
    Coefficients horizontal = Coefficients.of(in.width(), outWidth);
    Coefficients vertical = Coefficients.of(in.height(), outHeight);
    // Only the source rows that the vertical pass reads are resampled horizontally.
    int firstRow = vertical.min[0];
    int lastRow = vertical.min[outHeight - 1] + vertical.count[outHeight - 1];
    int tempHeight = lastRow - firstRow;
    byte[] temp = new byte[outWidth * tempHeight * 3];
    byte[] src = in.pixels();
    for (int y = 0; y < tempHeight; y++) {
      int rowOffset = (y + firstRow) * in.width() * 3;
      for (int x = 0; x < outWidth; x++) {
        int min = horizontal.min[x];
        int count = horizontal.count[x];
        int k = x * horizontal.size;
        for (int c = 0; c < 3; c++) {
          int sum = 1 << (PRECISION_BITS - 1);
          for (int i = 0; i < count; i++) {
            sum += (src[rowOffset + (min + i) * 3 + c] & 0xFF) * horizontal.fixed[k + i];
          }
          temp[(y * outWidth + x) * 3 + c] = clip8(sum);
        }
      }
    }
    byte[] out = new byte[outWidth * outHeight * 3];
    for (int y = 0; y < outHeight; y++) {
      int min = vertical.min[y] - firstRow;
      int count = vertical.count[y];
      int k = y * vertical.size;
      for (int x = 0; x < outWidth; x++) {
        for (int c = 0; c < 3; c++) {
          int sum = 1 << (PRECISION_BITS - 1);
          for (int i = 0; i < count; i++) {
            sum += (temp[((min + i) * outWidth + x) * 3 + c] & 0xFF) * vertical.fixed[k + i];
          }
          out[(y * outWidth + x) * 3 + c] = clip8(sum);
        }
      }
    }
    return new RgbImage(outWidth, outHeight, out);
  }

  private static byte clip8(int value) {
    if (value >= (1 << PRECISION_BITS << 8)) {
      return (byte) 255;
    }
    if (value <= 0) {
      return 0;
    }
    return (byte) (value >> PRECISION_BITS);
  }

  /** Per output pixel: first source index, number of taps, and the fixed-point weights. */
  private record Coefficients(int size, int[] min, int[] count, int[] fixed) {
    static Coefficients of(int inSize, int outSize) {
      double scale = (double) inSize / outSize;
      double filterScale = Math.max(scale, 1.0);
      double support = 1.0 * filterScale; // bilinear filter support is 1
      int size = (int) Math.ceil(support) * 2 + 1;
      int[] min = new int[outSize];
      int[] count = new int[outSize];
      int[] fixed = new int[outSize * size];
      double[] weights = new double[size];
      for (int xx = 0; xx < outSize; xx++) {
        double center = (xx + 0.5) * scale;
        double ss = 1.0 / filterScale;
        int xmin = Math.max((int) (center - support + 0.5), 0);
        int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
        double total = 0;
        for (int x = 0; x < xmax; x++) {
          double w = triangle((x + xmin - center + 0.5) * ss);
          weights[x] = w;
          total += w;
        }
        for (int x = 0; x < xmax; x++) {
          double w = total != 0.0 ? weights[x] / total : weights[x];
          fixed[xx * size + x] =
              w < 0
                  ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                  : (int) (0.5 + w * (1 << PRECISION_BITS));
        }
        min[xx] = xmin;
        count[xx] = xmax;
      }
      return new Coefficients(size, min, count, fixed);
    }

    private static double triangle(double x) {
      double a = Math.abs(x);
      return a < 1.0 ? 1.0 - a : 0.0;
    }
  }
}
