package org.lwise.stream.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FoveatedViewsTest {
  static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /**
   * The normalized coordinate of pixel i's centre on a side of {@code size} (align_corners false).
   */
  private static float centre(int i, int size) {
    return (2f * i + 1) / size - 1;
  }

  private static float[] noise(int length, long seed) {
    Random random = new Random(seed);
    float[] values = new float[length];
    for (int i = 0; i < length; i++) {
      values[i] = random.nextFloat();
    }
    return values;
  }

  @Test
  void shouldPassGradientsThroughFoveateAsFiniteDifferencesDo() {
    float[] fixation = {centre(2, 7) + 0.05f, centre(4, 7) - 0.1f};
    checkGradient(x -> FoveatedViews.foveate(x, fixation));
  }

  @Test
  void shouldPassGradientsThroughFovealBlurAsFiniteDifferencesDo() {
    float[] fixation = {0.2f, -0.3f};
    checkGradient(x -> FoveatedViews.fovealBlur(x, fixation));
  }

  @Test
  void shouldPassGradientsThroughBothViewsAsNamedInAConditionsAugTypes() {
    List<ViewAugmentation.Type> types =
        List.of(ViewAugmentation.Type.parse("foveate"), ViewAugmentation.Type.parse("foveal_blur"));
    // Fresh draws on every call with the same seeds: the view is the same function each time.
    checkGradient(x -> ViewAugmentation.view(x, types, List.of(new Random(9)), new Random(1)));
  }

  /**
   * L(x) = Σ w·view(x) for random w: autograd's ∂L/∂x is non-zero and equals central finite
   * differences (the views are linear in x, so in float32 they agree to rounding).
   */
  private static void checkGradient(UnaryOperator<NDArray> view) {
    int size = 7;
    Shape shape = new Shape(1, 3, size, size);
    float[] x0 = noise(3 * size * size, 1);
    float[] w = noise(3 * size * size, 2);
    float[] gradient;
    try (NDManager scope = manager.newSubManager()) {
      NDArray x = scope.create(x0, shape);
      x.setRequiresGradient(true);
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray loss = view.apply(x).mul(scope.create(w, shape)).sum();
        collector.backward(loss);
      }
      gradient = x.getGradient().toFloatArray();
    }
    double norm = 0;
    for (float g : gradient) {
      norm += g * g;
    }
    assertThat(Math.sqrt(norm)).as("gradient norm").isGreaterThan(0.1);
    float h = 0.05f;
    for (int j = 0; j < x0.length; j += 5) {
      float[] plus = x0.clone();
      float[] minus = x0.clone();
      plus[j] += h;
      minus[j] -= h;
      double difference = (loss(view, plus, w, shape) - loss(view, minus, w, shape)) / (2 * h);
      assertThat(gradient[j]).as("∂L/∂x[%d]", j).isCloseTo((float) difference, offset(2e-3f));
    }
  }

  private static double loss(UnaryOperator<NDArray> view, float[] x, float[] w, Shape shape) {
    try (NDManager scope = manager.newSubManager()) {
      return view.apply(scope.create(x, shape)).mul(scope.create(w, shape)).sum().getFloat();
    }
  }

  @Test
  void shouldKeepTheFixationWhereItIsAndMagnifyLessWithEccentricity() {
    // ρ(0) = 0, ρ(R) = R, and the radial magnification 1/ρ'(r) falls from above 1 to below 1.
    assertThat(FoveatedViews.sourceRadius(0)).isZero();
    assertThat(FoveatedViews.sourceRadius(FoveatedViews.MAX_RADIUS))
        .isCloseTo(FoveatedViews.MAX_RADIUS, offset(1e-12));
    double previous = Double.POSITIVE_INFINITY;
    for (double r = 0; r < FoveatedViews.MAX_RADIUS; r += 0.05) {
      double magnification =
          1e-6 / (FoveatedViews.sourceRadius(r + 1e-6) - FoveatedViews.sourceRadius(r));
      assertThat(magnification).isLessThan(previous);
      previous = magnification;
    }
    assertThat(1e-6 / FoveatedViews.sourceRadius(1e-6)).isGreaterThan(2);
    assertThat(previous).isLessThan(0.6);

    // On an image whose value is each pixel's distance from the fixation, in pixels: the fixation's
    // value stays, each output pixel shows a smaller distance (a magnified centre), and along a row
    // the shown distance grows faster and faster (magnification falling outwards).
    int size = 33;
    int fixX = 12;
    int fixY = 18;
    float[] cone = new float[size * size];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        cone[y * size + x] = (float) Math.hypot(x - fixX, y - fixY);
      }
    }
    float[] image = new float[3 * size * size];
    for (int c = 0; c < 3; c++) {
      System.arraycopy(cone, 0, image, c * size * size, size * size);
    }
    float[] out;
    try (NDManager scope = manager.newSubManager()) {
      out =
          FoveatedViews.foveate(
                  scope.create(image, new Shape(1, 3, size, size)),
                  new float[] {centre(fixX, size), centre(fixY, size)})
              .toFloatArray();
    }
    assertThat(out[fixY * size + fixX]).isCloseTo(0f, offset(1e-4f));
    for (int i = 0; i < size * size; i++) {
      assertThat(out[i]).isLessThanOrEqualTo(cone[i] + 1e-3f);
    }
    float previousStep = 0;
    for (int x = fixX + 1; x < size; x++) {
      float step = out[fixY * size + x] - out[fixY * size + x - 1];
      assertThat(step).as("step at x = %d", x).isGreaterThan(previousStep);
      previousStep = step;
    }
    assertThat(out[fixY * size + fixX + 1])
        .as("first pixel out: magnified about 2×")
        .isBetween(0.4f, 0.55f);
  }

  @Test
  void shouldBlurMoreWithEccentricityAndKeepTheFixationSharp() {
    int size = 32;
    int fix = 15;
    float[] image = noise(3 * size * size, 3);
    float[] flat = new float[3 * size * size];
    Arrays.fill(flat, 0.3f);
    float[] fixation = {centre(fix, size), centre(fix, size)};
    float[] out;
    float[] flatOut;
    try (NDManager scope = manager.newSubManager()) {
      out =
          FoveatedViews.fovealBlur(scope.create(image, new Shape(1, 3, size, size)), fixation)
              .toFloatArray();
      flatOut =
          FoveatedViews.fovealBlur(scope.create(flat, new Shape(1, 3, size, size)), fixation)
              .toFloatArray();
    }
    for (int c = 0; c < 3; c++) {
      int i = c * size * size + fix * size + fix;
      assertThat(out[i]).isCloseTo(image[i], offset(1e-6f));
    }
    for (float v : flatOut) {
      assertThat(v).isCloseTo(0.3f, offset(1e-5f));
    }
    // Blur lowers noise's local contrast: its distance from the input grows ring by ring (away from
    // the border, where the renormalized kernel has fewer neighbours to average).
    double[] ringChange = new double[4];
    int[] ringCount = new int[4];
    for (int y = 4; y < size - 4; y++) {
      for (int x = 4; x < size - 4; x++) {
        double r = Math.hypot(centre(x, size) - fixation[0], centre(y, size) - fixation[1]);
        int ring = Math.min(3, (int) (r / 0.25));
        for (int c = 0; c < 3; c++) {
          int i = c * size * size + y * size + x;
          ringChange[ring] += Math.abs(out[i] - image[i]);
          ringCount[ring]++;
        }
      }
    }
    for (int ring = 1; ring < 4; ring++) {
      assertThat(ringChange[ring] / ringCount[ring])
          .as("ring %d", ring)
          .isGreaterThan(ringChange[ring - 1] / ringCount[ring - 1] + 0.01);
    }
  }

  @Test
  void shouldDrawFixationsPerImageInTheCentralHalf() {
    float[] f = FoveatedViews.fixations(List.of(new Random(1), new Random(2), new Random(3)));
    assertThat(f).hasSize(6);
    for (float v : f) {
      assertThat(v).isBetween(-0.5f, 0.5f);
    }
    assertThat(FoveatedViews.fixations(List.of(new Random(2)))).containsExactly(f[2], f[3]);
  }
}
