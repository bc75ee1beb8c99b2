package org.lwise.stream.method;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Two model-free statistics of an image that correlate with how late deep classifiers learn it
 * (Pliushch et al., "When Deep Classifiers Agree"), computed on the 8-bit grayscale of the
 * preprocessed crop, {@code L = (19595·R + 38470·G + 7471·B + 2¹⁵) >> 16} (PIL's {@code
 * convert('L')}):
 *
 * <ul>
 *   <li>{@code image_entropy}: the mean, over every {@value #ENTROPY_WINDOW}×{@value
 *       #ENTROPY_WINDOW} window lying wholly inside the image (window side min(9, W, H)), of the
 *       Shannon entropy in bits of the window's 256-bin histogram of L. 0 for a flat image; at most
 *       log2(81) ≈ 6.34.
 *   <li>{@code dct_relevant_fraction}: with c the orthonormal 2-D DCT-II of L (on the 0–255 scale),
 *       the smallest number of AC coefficients (all but c₀₀), taken largest |c| first, whose
 *       squared sum reaches {@value #DCT_ENERGY_SHARE} of the AC energy, divided by the number of
 *       AC coefficients W·H − 1. 0 for a flat image (no AC energy); about 0.56 for white noise; a
 *       few per cent for a smooth photograph.
 * </ul>
 *
 * <p>The DCT is the direct separable product {@code C_H · L · C_Wᵀ} with precomputed cosine
 * matrices: O(S³), about 2·224³ multiply-adds (a few ms) for a 224 crop. commons-math3's fast
 * transform needs sides of 2ⁿ + 1 and is a DCT-I, which no model crop size matches.
 */
public final class ImageStatistics {
  /** The side of the entropy's sliding window. */
  public static final int ENTROPY_WINDOW = 9;

  /** The share of the AC energy the relevant DCT coefficients hold. */
  public static final double DCT_ENERGY_SHARE = 0.95;

  /** Both statistics of one image. */
  public record Values(double entropy, double dctRelevantFraction) {}

  private ImageStatistics() {}

  public static Values of(RgbImage image) {
    int[] gray = grayscale(image);
    return new Values(
        meanLocalEntropy(gray, image.width(), image.height(), ENTROPY_WINDOW),
        dctRelevantFraction(gray, image.width(), image.height(), DCT_ENERGY_SHARE));
  }

  /** PIL's ITU-R 601-2 luma, with its rounding. */
  static int[] grayscale(RgbImage image) {
    int[] gray = new int[image.width() * image.height()];
    byte[] px = image.pixels();
    for (int i = 0; i < gray.length; i++) {
      int r = px[3 * i] & 0xFF;
      int g = px[3 * i + 1] & 0xFF;
      int b = px[3 * i + 2] & 0xFF;
      gray[i] = (19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16;
    }
    return gray;
  }

  /**
   * Slides the window along each row, updating its histogram by one column out and one in, and the
   * sum Σ n·log2 n with it: entropy = log2 N − (Σ n·log2 n)/N for N pixels in the window.
   */
  static double meanLocalEntropy(int[] gray, int width, int height, int window) {
    int side = Math.min(window, Math.min(width, height));
    int count = side * side;
    double[] nLogN = new double[count + 1];
    for (int n = 1; n <= count; n++) {
      nLogN[n] = n * Math.log(n) / Math.log(2);
    }
    double logCount = Math.log(count) / Math.log(2);
    double total = 0;
    long windows = 0;
    int[] histogram = new int[256];
    for (int top = 0; top + side <= height; top++) {
      Arrays.fill(histogram, 0);
      double sum = 0;
      for (int y = top; y < top + side; y++) {
        for (int x = 0; x < side; x++) {
          int v = gray[y * width + x];
          sum += nLogN[histogram[v] + 1] - nLogN[histogram[v]];
          histogram[v]++;
        }
      }
      for (int left = 0; ; left++) {
        total += logCount - sum / count;
        windows++;
        if (left + side >= width) {
          break;
        }
        for (int y = top; y < top + side; y++) {
          int out = gray[y * width + left];
          sum += nLogN[histogram[out] - 1] - nLogN[histogram[out]];
          histogram[out]--;
          int in = gray[y * width + left + side];
          sum += nLogN[histogram[in] + 1] - nLogN[histogram[in]];
          histogram[in]++;
        }
      }
    }
    // A window of all-equal pixels can leave -0.0 or 1e-15 from rounding; entropy is never
    // negative.
    return Math.max(0, total / windows);
  }

  static double dctRelevantFraction(int[] gray, int width, int height, double share) {
    int acCount = width * height - 1;
    if (acCount == 0 || Arrays.stream(gray).allMatch(v -> v == gray[0])) {
      return 0;
    }
    double[] c = dct2(gray, width, height);
    double[] energy = new double[acCount];
    double acEnergy = 0;
    for (int i = 1; i < c.length; i++) {
      energy[i - 1] = c[i] * c[i];
      acEnergy += energy[i - 1];
    }
    Arrays.sort(energy);
    double held = 0;
    int relevant = 0;
    for (int i = energy.length - 1; i >= 0 && held < share * acEnergy; i--) {
      held += energy[i];
      relevant++;
    }
    return (double) relevant / acCount;
  }

  /** The orthonormal 2-D DCT-II, row-major, c[u·W + v] with u vertical frequency. */
  static double[] dct2(int[] gray, int width, int height) {
    double[] cw = dctMatrix(width);
    double[] ch = dctMatrix(height);
    // rows: t = L · C_Wᵀ (each row transformed), then c = C_H · t (each column).
    double[] t = new double[height * width];
    for (int y = 0; y < height; y++) {
      for (int v = 0; v < width; v++) {
        double s = 0;
        for (int x = 0; x < width; x++) {
          s += gray[y * width + x] * cw[v * width + x];
        }
        t[y * width + v] = s;
      }
    }
    double[] c = new double[height * width];
    for (int u = 0; u < height; u++) {
      for (int y = 0; y < height; y++) {
        double w = ch[u * height + y];
        for (int v = 0; v < width; v++) {
          c[u * width + v] += w * t[y * width + v];
        }
      }
    }
    return c;
  }

  /** One matrix per side: a 224 px crop's two cost 100,000 cosines, about 4 ms, per image. */
  private static final Map<Integer, double[]> DCT_MATRICES = new ConcurrentHashMap<>();

  /** C[k][n] = α_k·cos(π(2n + 1)k / 2N), α_0 = √(1/N), α_k = √(2/N); shared, never written. */
  private static double[] dctMatrix(int n) {
    return DCT_MATRICES.computeIfAbsent(n, ImageStatistics::newDctMatrix);
  }

  private static double[] newDctMatrix(int n) {
    double[] m = new double[n * n];
    for (int k = 0; k < n; k++) {
      double alpha = Math.sqrt((k == 0 ? 1.0 : 2.0) / n);
      for (int i = 0; i < n; i++) {
        m[k * n + i] = alpha * Math.cos(Math.PI * (2 * i + 1) * k / (2.0 * n));
      }
    }
    return m;
  }
}
