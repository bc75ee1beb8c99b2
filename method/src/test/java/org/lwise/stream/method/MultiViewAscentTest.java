package org.lwise.stream.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MultiViewAscentTest {
  static RobustClassifier model;
  static List<float[]> images = new ArrayList<>();
  static final int[] LABELS = {9, 2, 6};

  @BeforeAll
  static void load() {
    model = RobustClassifier.load(Path.of("src/test/resources/models/fashion-cnn"));
    for (String name : List.of("fashion.png", "gray.jpg", "wide_rgb.png")) {
      images.add(
          ReferenceFixtures.chw(ReferenceFixtures.bytes("fashion-cnn." + name + ".crop.u8"), 28));
    }
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private static List<Trajectory> batch(int steps) {
    List<Trajectory> batch = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      batch.add(
          new Trajectory(
              images.get(i),
              LABELS[i],
              Objective.LOGIT,
              0.5,
              false,
              1.5,
              List.of(),
              List.of(new Trajectory.Output("c", steps))));
    }
    return batch;
  }

  @Test
  void shouldReduceToThePlainLoopsLastIterateWithoutAugmentations() {
    List<AscentResult> plain = new L2ProjectedAscent(model).run(batch(5));
    List<AscentResult> views =
        new MultiViewAscent(model)
            .run(batch(5), new MultiViewAscent.Views(1, List.of(), List.of(1L, 2L, 3L)));
    for (int i = 0; i < images.size(); i++) {
      assertThat(views.get(i).last()).isEqualTo(plain.get(i).last());
      assertThat(views.get(i).best().get(0)).isEqualTo(plain.get(i).last());
    }
  }

  @Test
  void shouldStayInTheBallWhenAveragingRandomViews() {
    List<AscentResult> results =
        new MultiViewAscent(model)
            .run(
                batch(4),
                new MultiViewAscent.Views(
                    4, ViewAugmentation.DEFAULT_TYPES, List.of(11L, 12L, 13L)));
    for (int i = 0; i < images.size(); i++) {
      float[] last = results.get(i).last();
      double norm = 0;
      for (int p = 0; p < last.length; p++) {
        assertThat(last[p]).isBetween(0f, 1f);
        norm += Math.pow(last[p] - images.get(i)[p], 2);
      }
      assertThat(Math.sqrt(norm)).isBetween(0.1, 1.5 + 1e-4);
    }
  }

  @Test
  void shouldGiveAnImageTheSameViewsWhicheverBatchItLandsIn() {
    // Without resize (its one factor per batch is SPEC.md's), an image's views are its own.
    List<ViewAugmentation.Type> perImageTypes =
        List.of(
            ViewAugmentation.Type.COLOR,
            ViewAugmentation.Type.TRANSLATION,
            ViewAugmentation.Type.CUTOUT);
    MultiViewAscent ascent = new MultiViewAscent(model);
    float[] alone =
        ascent
            .run(batch(4).subList(2, 3), new MultiViewAscent.Views(3, perImageTypes, List.of(42L)))
            .get(0)
            .last();
    float[] batched =
        ascent
            .run(batch(4), new MultiViewAscent.Views(3, perImageTypes, List.of(7L, 8L, 42L)))
            .get(2)
            .last();
    float[] otherSeed =
        ascent
            .run(batch(4).subList(2, 3), new MultiViewAscent.Views(3, perImageTypes, List.of(43L)))
            .get(0)
            .last();
    assertThat(maxDifference(alone, batched)).isLessThan(1e-4);
    assertThat(maxDifference(alone, otherSeed))
        .as("the views are random: another seed moves the image elsewhere")
        .isGreaterThan(1e-3);
  }

  private static double maxDifference(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  @Test
  void shouldShiftResizeAndCutOutAsSpecified() {
    try (NDManager manager = model.manager().newSubManager()) {
      int size = 8;
      float[] ramp = new float[3 * size * size];
      for (int i = 0; i < ramp.length; i++) {
        ramp[i] = (i % (size * size)) / 64f + 0.01f;
      }
      NDArray x = manager.create(ramp, new Shape(1, 3, size, size));
      // Translation by exact shifts: every value is an input value or 0, and their count is (8 -
      // |dy|)(8 - |dx|).
      float[] shifted =
          ViewAugmentation.view(
                  x,
                  List.of(ViewAugmentation.Type.TRANSLATION),
                  List.of(new Random(5)),
                  new Random(5))
              .toFloatArray();
      long nonZero = 0;
      for (int i = 0; i < size * size; i++) {
        if (shifted[i] != 0) {
          nonZero++;
          float value = shifted[i];
          assertThat(IntStream.range(0, size * size).anyMatch(j -> ramp[j] == value)).isTrue();
        }
      }
      assertThat(nonZero).isBetween(36L, 64L);
      // Resize by 1.0 is the identity; rows of an enlargement sum to 1.
      float[] identity = ViewAugmentation.resizeMatrix(size, 1.0);
      for (int r = 0; r < size; r++) {
        assertThat(identity[r * size + r]).isEqualTo(1f);
      }
      float[] larger = ViewAugmentation.resizeMatrix(size, 1.2);
      for (int r = 0; r < size; r++) {
        float sum = 0;
        for (int c = 0; c < size; c++) {
          sum += larger[r * size + c];
        }
        assertThat(sum).isCloseTo(1f, offset(1e-6f));
      }
      float[] smaller =
          ViewAugmentation.resizeMatrix(size, 0.8); // 6 rows, centred: rows 0 and 7 are padding
      assertThat(IntStream.range(0, size).mapToDouble(c -> smaller[c]).sum()).isZero();
      assertThat(IntStream.range(0, size).mapToDouble(c -> smaller[7 * size + c]).sum()).isZero();
      // Cutout zeroes a square of round(0.5 * 8) = 4 pixels a side in every channel.
      float[] cut =
          ViewAugmentation.view(
                  x, List.of(ViewAugmentation.Type.CUTOUT), List.of(new Random(3)), new Random(3))
              .toFloatArray();
      long zeros = 0;
      for (float v : cut) {
        zeros += v == 0 ? 1 : 0;
      }
      assertThat(zeros).isEqualTo(3 * 16);
    }
  }
}
