package org.lwise.stream.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntBinaryOperator;
import org.junit.jupiter.api.Test;

/** Each statistic against a direct computation written here from its definition. */
class ImageStatisticsTest {
  /** A gray image (R = G = B, so PIL's luma is the value itself). */
  private static RgbImage gray(int width, int height, IntBinaryOperator value) {
    byte[] px = new byte[width * height * 3];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        byte v = (byte) value.applyAsInt(x, y);
        px[3 * (y * width + x)] = v;
        px[3 * (y * width + x) + 1] = v;
        px[3 * (y * width + x) + 2] = v;
      }
    }
    return new RgbImage(width, height, px);
  }

  /** Entropy of every 9×9 window from a fresh histogram, averaged. */
  private static double directEntropy(RgbImage image) {
    double total = 0;
    int windows = 0;
    for (int top = 0; top + 9 <= image.height(); top++) {
      for (int left = 0; left + 9 <= image.width(); left++) {
        Map<Integer, Integer> histogram = new HashMap<>();
        for (int y = top; y < top + 9; y++) {
          for (int x = left; x < left + 9; x++) {
            histogram.merge(image.get(x, y, 0), 1, Integer::sum);
          }
        }
        double h = 0;
        for (int n : histogram.values()) {
          double p = n / 81.0;
          h -= p * Math.log(p) / Math.log(2);
        }
        total += h;
        windows++;
      }
    }
    return total / windows;
  }

  /** The DCT-II by its double sum per coefficient, then the energy share counted from the top. */
  private static double directDctFraction(RgbImage image, double share) {
    int w = image.width();
    int h = image.height();
    List<Double> energies = new ArrayList<>();
    double acEnergy = 0;
    for (int u = 0; u < h; u++) {
      for (int v = 0; v < w; v++) {
        if (u == 0 && v == 0) {
          continue;
        }
        double c = 0;
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            c +=
                image.get(x, y, 0)
                    * Math.cos(Math.PI * (2 * y + 1) * u / (2.0 * h))
                    * Math.cos(Math.PI * (2 * x + 1) * v / (2.0 * w));
          }
        }
        c *= Math.sqrt((u == 0 ? 1.0 : 2.0) / h) * Math.sqrt((v == 0 ? 1.0 : 2.0) / w);
        energies.add(c * c);
        acEnergy += c * c;
      }
    }
    energies.sort((a, b) -> Double.compare(b, a));
    double held = 0;
    int n = 0;
    while (held < share * acEnergy) {
      held += energies.get(n++);
    }
    return (double) n / (w * h - 1);
  }

  @Test
  void shouldGiveAFlatImageNoEntropyAndNoRelevantCoefficients() {
    ImageStatistics.Values flat = ImageStatistics.of(gray(24, 20, (x, y) -> 137));
    assertThat(flat.entropy()).isZero();
    assertThat(flat.dctRelevantFraction()).isZero();
  }

  @Test
  void shouldGiveNoiseHighValuesOfBoth() {
    Random random = new Random(7);
    RgbImage noise = gray(24, 20, (x, y) -> random.nextInt(256));
    ImageStatistics.Values values = ImageStatistics.of(noise);
    assertThat(values.entropy()).isCloseTo(directEntropy(noise), offset(1e-9)).isGreaterThan(5.5);
    assertThat(values.dctRelevantFraction())
        .isCloseTo(directDctFraction(noise, 0.95), offset(1e-12))
        .isGreaterThan(0.5);
  }

  @Test
  void shouldGiveASmoothGradientFewRelevantCoefficients() {
    RgbImage ramp = gray(32, 24, (x, y) -> 40 + 4 * x + 2 * y);
    ImageStatistics.Values values = ImageStatistics.of(ramp);
    assertThat(values.dctRelevantFraction())
        .isCloseTo(directDctFraction(ramp, 0.95), offset(1e-12))
        .isLessThan(0.02);
    assertThat(values.entropy()).isCloseTo(directEntropy(ramp), offset(1e-9));
  }

  @Test
  void shouldGiveATwoToneCheckerboardOneBitPerWindow() {
    // A 9×9 window of a checkerboard holds 41 of one tone and 40 of the other.
    RgbImage checker = gray(16, 16, (x, y) -> (x + y) % 2 == 0 ? 30 : 220);
    double expected =
        -(41 / 81.0) * Math.log(41 / 81.0) / Math.log(2)
            - (40 / 81.0) * Math.log(40 / 81.0) / Math.log(2);
    assertThat(ImageStatistics.of(checker).entropy()).isCloseTo(expected, offset(1e-12));
    assertThat(ImageStatistics.of(checker).dctRelevantFraction())
        .isCloseTo(directDctFraction(checker, 0.95), offset(1e-12));
  }

  /** The orthonormal DCT-II as the separable product of cosine matrices, from its definition. */
  private static double[] directDct(int[] gray, int w, int h) {
    double[] c = new double[w * h];
    for (int u = 0; u < h; u++) {
      double au = Math.sqrt((u == 0 ? 1.0 : 2.0) / h);
      for (int v = 0; v < w; v++) {
        double av = Math.sqrt((v == 0 ? 1.0 : 2.0) / w);
        double sum = 0;
        for (int y = 0; y < h; y++) {
          double cy = Math.cos(Math.PI * (2 * y + 1) * u / (2.0 * h));
          for (int x = 0; x < w; x++) {
            sum += gray[y * w + x] * cy * Math.cos(Math.PI * (2 * x + 1) * v / (2.0 * w));
          }
        }
        c[u * w + v] = au * av * sum;
      }
    }
    return c;
  }

  @Test
  void shouldComputeTheOrthonormalDctForSidesThatAreNoPowerOfTwo() {
    Random random = new Random(11);
    for (int[] size : new int[][] {{37, 23}, {28, 28}, {15, 64}}) {
      int[] gray = new int[size[0] * size[1]];
      Arrays.setAll(gray, i -> random.nextInt(256));
      double[] expected = directDct(gray, size[0], size[1]);
      double[] actual = ImageStatistics.dct2(gray, size[0], size[1]);
      for (int i = 0; i < expected.length; i++) {
        assertThat(actual[i])
            .as("%s, coefficient %d", Arrays.toString(size), i)
            .isCloseTo(expected[i], offset(1e-9));
      }
    }
  }

  @Test
  void shouldCountTheLargestValuesReachingATargetAsADescendingSortDoes() {
    Random random = new Random(5);
    for (int round = 0; round < 200; round++) {
      // Few distinct values in some rounds, so ties straddle the target.
      int distinct = round % 2 == 0 ? 5 : 1_000_000;
      double[] values = new double[1 + random.nextInt(400)];
      Arrays.setAll(values, i -> 1 + random.nextInt(distinct));
      double[] sorted = values.clone();
      Arrays.sort(sorted);
      double total = Arrays.stream(values).sum();
      double target = random.nextDouble() * total;
      int expected = 0;
      double held = 0;
      for (int i = sorted.length - 1; i >= 0 && held < target; i--) {
        held += sorted[i];
        expected++;
      }
      assertThat(ImageStatistics.largestReaching(values, target))
          .as("round %d", round)
          .isEqualTo(expected);
    }
  }

  @Test
  void shouldGiveTheSameValuesFromManyThreadsAtOnce() throws Exception {
    Random random = new Random(3);
    RgbImage noise = gray(224, 224, (x, y) -> (x * y + random.nextInt(40)) % 256);
    ImageStatistics.Values alone = ImageStatistics.of(noise);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<ImageStatistics.Values>> results = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        results.add(pool.submit(() -> ImageStatistics.of(noise)));
      }
      for (Future<ImageStatistics.Values> result : results) {
        assertThat(result.get()).isEqualTo(alone);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldUsePilLumaForColourImages() {
    RgbImage pure =
        new RgbImage(1, 3, new byte[] {(byte) 255, 0, 0, 0, (byte) 255, 0, 0, 0, (byte) 255});
    // PIL: convert('L') of pure red, green and blue.
    assertThat(ImageStatistics.grayscale(pure)).containsExactly(76, 150, 29);
  }
}
