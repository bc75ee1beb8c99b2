package org.lwise.stream.method;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jtransforms.dct.DoubleDCT_2D;
import pl.edu.icm.jlargearrays.ConcurrencyUtils;

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
 * <p>The DCT is JTransforms' FFT-based DCT-II of any side, scaled to be orthonormal: about 2.5 ms
 * for a 224 crop against 20 ms for the direct separable product {@code C_H · L · C_Wᵀ} it replaced
 * (equal to 2·10⁻¹⁰). commons-math3's fast transform needs sides of 2ⁿ + 1 and is a DCT-I, which no
 * model crop size matches.
 */
public final class ImageStatistics {
  /** The side of the entropy's sliding window. */
  public static final int ENTROPY_WINDOW = 9;

  /** The share of the AC energy the relevant DCT coefficients hold. */
  public static final double DCT_ENERGY_SHARE = 0.95;

  static {
    // The codec pool already runs one image per core; JTransforms' own threads would only compete.
    ConcurrencyUtils.setNumberOfThreads(1);
  }

  /**
   * One transform per codec thread and crop size: it holds its cosine and FFT tables (built once),
   * and JTransforms does not promise that one instance may be used by several threads at once.
   */
  private static final ThreadLocal<Map<List<Integer>, DoubleDCT_2D>> TRANSFORMS =
      ThreadLocal.withInitial(HashMap::new);

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
    return (double) largestReaching(energy, share * acEnergy) / acCount;
  }

  /**
   * The fewest values, largest first, whose sum reaches {@code target}: the count a descending sort
   * and a running sum give, found by quickselect-style partitioning instead. Sorting 50,000
   * energies took longer than the FFT-based DCT itself; here each round keeps only the side of the
   * pivot where the answer lies (expected linear time). Reorders {@code values}. Sums are taken in
   * another order than the sort's, so a count can differ from it only when the running sum meets
   * the target within rounding.
   */
  static int largestReaching(double[] values, double target) {
    int lo = 0;
    int hi = values.length;
    int count = 0;
    double held = 0;
    while (held < target && lo < hi) {
      double pivot = medianOfThree(values[lo], values[(lo + hi) >>> 1], values[hi - 1]);
      // Three-way partition of [lo, hi): greater than the pivot, equal, less.
      int greater = lo;
      int less = hi;
      double greaterSum = 0;
      for (int i = lo; i < less; ) {
        double v = values[i];
        if (v > pivot) {
          greaterSum += v;
          swap(values, i++, greater++);
        } else if (v < pivot) {
          swap(values, i, --less);
        } else {
          i++;
        }
      }
      if (held + greaterSum >= target) {
        hi = greater; // the answer lies among the greater ones
        continue;
      }
      held += greaterSum;
      count += greater - lo;
      for (int i = greater; i < less && held < target; i++) {
        held += pivot;
        count++;
      }
      lo = less;
    }
    return count;
  }

  private static double medianOfThree(double a, double b, double c) {
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  }

  private static void swap(double[] values, int i, int j) {
    double v = values[i];
    values[i] = values[j];
    values[j] = v;
  }

  /** The orthonormal 2-D DCT-II, row-major, c[u·W + v] with u vertical frequency. */
  static double[] dct2(int[] gray, int width, int height) {
    double[] c = new double[gray.length];
    for (int i = 0; i < c.length; i++) {
      c[i] = gray[i];
    }
    TRANSFORMS
        .get()
        .computeIfAbsent(List.of(height, width), ImageStatistics::newTransform)
        .forward(c, true);
    return c;
  }

  private static DoubleDCT_2D newTransform(List<Integer> heightWidth) {
    return new DoubleDCT_2D(heightWidth.get(0), heightWidth.get(1));
  }
}
