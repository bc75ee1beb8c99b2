package org.lwise.stream.method;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.translate.TranslateException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Java against the PyTorch/PIL reference (tools/make_reference.py) on two models — the 28 px demo
 * CNN and a 224 px ResNet-18-shaped model with 7 outputs — for preprocessing, logits and the whole
 * enhancement loop. Scoring logits are checked on the forward-only predictors (images through the
 * PIL-exact translator, and the reference's crops), and on the ascent's first pass. Tolerances are
 * the ones the project promises in README "Fidelity"; the measured maxima are written to
 * target/parity-report.txt.
 */
class ReferenceParityTest {
  /**
   * Long trajectories where float rounding differences between libtorch 2.7.1 (DJL) and the
   * reference's torch 1.13 (~1e-7 in the logits) grow chaotically: the demo CNN's cross-entropy
   * saturates at 0 in float32 (its gradient is then rounding noise), and the random-weight ResNet's
   * loss surface is rough. Their losses still match at every iterate (asserted below); their final
   * pixels are held to a looser bound. README "Fidelity" lists the measured values.
   */
  static final Set<String> CHAOTIC =
      Set.of("fashion-cnn.c3", "slim-resnet18.c2", "slim-resnet18.c3");

  static ReferenceFixtures fixtures;
  static final List<String> report = new ArrayList<>();

  @BeforeAll
  static void load() {
    fixtures = new ReferenceFixtures();
  }

  @AfterAll
  static void writeReport() throws IOException {
    Files.createDirectories(Path.of("target"));
    Files.write(Path.of("target/parity-report.txt"), report);
    report.forEach(System.out::println);
  }

  @Test
  void shouldPreprocessLikePil() {
    for (var model : iterable(fixtures.index.get("models").fields())) {
      String id = model.getKey();
      try (RobustClassifier classifier = load(model.getValue())) {
        int size = classifier.card().inputSize();
        Preprocessor preprocessor = new Preprocessor(size);
        for (JsonNode name : model.getValue().get("images")) {
          byte[] file = read(ReferenceFixtures.DIR.resolve("images").resolve(name.asText()));
          RgbImage crop = preprocessor.resizeAndCrop(new ImageDecoder().decode(file));
          byte[] expected = ReferenceFixtures.bytes(id + "." + name.asText() + ".crop.u8");
          assertThat(compareCrop(crop, expected, id, name.asText()))
              .as("%s %s preprocessed pixels", id, name.asText())
              .isLessThanOrEqualTo(1);
        }
      }
    }
  }

  @Test
  void shouldDecodeColourJpegBmpAndPaletteImagesLikePil() {
    JsonNode only = fixtures.index.get("preprocess_only");
    for (JsonNode sizeNode : only.get("sizes")) {
      int size = sizeNode.asInt();
      for (JsonNode name : only.get("images")) {
        byte[] file = read(ReferenceFixtures.DIR.resolve("images").resolve(name.asText()));
        RgbImage crop = new Preprocessor(size).resizeAndCrop(new ImageDecoder().decode(file));
        byte[] expected = ReferenceFixtures.bytes("size" + size + "." + name.asText() + ".crop.u8");
        assertThat(compareCrop(crop, expected, size + " px", name.asText()))
            .as("%s at %d px", name.asText(), size)
            .isLessThanOrEqualTo(1);
      }
    }
  }

  @Test
  void shouldIgnoreEmbeddedIccProfilesLikePil() {
    JsonNode icc = fixtures.index.get("icc_tagged");
    SoftAssertions softly = new SoftAssertions();
    for (JsonNode modelId : icc.get("models")) {
      String id = modelId.asText();
      try (RobustClassifier classifier = load(fixtures.index.get("models").get(id))) {
        int size = classifier.card().inputSize();
        int k = classifier.card().numClasses();
        for (JsonNode name : icc.get("images")) {
          byte[] file = read(ReferenceFixtures.DIR.resolve("images").resolve(name.asText()));
          RgbImage crop = new Preprocessor(size).resizeAndCrop(new ImageDecoder().decode(file));
          byte[] expected = ReferenceFixtures.bytes(id + "." + name.asText() + ".crop.u8");
          // Identical, not within the general 1/255: converting the sRGB-tagged file through its
          // profile is off by one level in a few values only, which that tolerance would let
          // through.
          softly
              .assertThat(compareCrop(crop, expected, id, name.asText()))
              .as("%s %s preprocessed pixels", id, name.asText())
              .isZero();
          // Logits of our own decoding through the forward-only image predictor, so the comparison
          // covers decode, preprocess (in the translator) and model.
          float[] logits = predict(classifier.newImagePredictor(), new ImageDecoder().decode(file));
          float[] expectedLogits = ReferenceFixtures.f32(id + "." + name.asText() + ".logits.f32");
          double rel = 0;
          for (int c = 0; c < k; c++) {
            rel =
                Math.max(
                    rel,
                    Math.abs(logits[c] - expectedLogits[c])
                        / Math.max(1.0, Math.abs(expectedLogits[c])));
          }
          report.add(
              String.format(
                  Locale.ROOT,
                  "logits     %-14s %-14s max relative diff %.2e",
                  id,
                  name.asText(),
                  rel));
          softly.assertThat(rel).as("%s %s logits", id, name.asText()).isLessThanOrEqualTo(1e-4);
        }
      }
    }
    softly.assertAll();
  }

  @Test
  void shouldMatchLogitsAndEveryEnhancementCondition() {
    SoftAssertions softly = new SoftAssertions();
    for (var model : iterable(fixtures.index.get("models").fields())) {
      String id = model.getKey();
      JsonNode entry = model.getValue();
      try (RobustClassifier classifier = load(entry)) {
        int size = classifier.card().inputSize();
        int pixels = 3 * size * size;
        List<float[]> x0 = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int i = 0; i < entry.get("images").size(); i++) {
          x0.add(
              ReferenceFixtures.chw(
                  ReferenceFixtures.bytes(
                      id + "." + entry.get("images").get(i).asText() + ".crop.u8"),
                  size));
          labels.add(entry.get("labels").get(i).asInt());
        }
        L2ProjectedAscent ascent = new L2ProjectedAscent(classifier);

        float[] expectedLogits = ReferenceFixtures.f32(id + ".logits.f32");
        int k = classifier.card().numClasses();
        // Scoring is forward-only: the predictor (no autograd), on the reference's own crops.
        List<float[]> scored = predictAll(classifier.newChwPredictor(), x0);
        double logitRel = maxRelativeDiff(scored, expectedLogits, k);
        report.add(
            String.format(Locale.ROOT, "logits     %-14s max relative diff %.2e", id, logitRel));
        softly.assertThat(logitRel).as("%s logits", id).isLessThanOrEqualTo(1e-4);
        // The same through the image predictor: the image files, decoded, with the PIL-exact
        // Resize + CenterCrop in the translator.
        List<RgbImage> decoded = new ArrayList<>();
        for (JsonNode name : entry.get("images")) {
          decoded.add(
              new ImageDecoder()
                  .decode(read(ReferenceFixtures.DIR.resolve("images").resolve(name.asText()))));
        }
        double fileRel =
            maxRelativeDiff(predictAll(classifier.newImagePredictor(), decoded), expectedLogits, k);
        report.add(
            String.format(
                Locale.ROOT,
                "logits     %-14s image files through the translator, max relative diff %.2e",
                id,
                fileRel));
        softly.assertThat(fileRel).as("%s logits of the image files", id).isLessThanOrEqualTo(1e-4);
        List<float[]> firstPass = new ArrayList<>();

        for (JsonNode c : entry.get("conditions")) {
          int ci = c.get("index").asInt();
          List<Integer> classesPresent = new ArrayList<>();
          c.get("classes_present").forEach(n -> classesPresent.add(n.asInt()));
          List<Integer> divergeFrom = new ArrayList<>();
          c.get("diverge_from").forEach(n -> divergeFrom.add(n.asInt()));
          Objective objective =
              Objective.valueOf(c.get("objective").asText().toUpperCase(Locale.ROOT));
          int steps = c.get("steps").asInt();
          List<Trajectory> batch = new ArrayList<>();
          for (int i = 0; i < x0.size(); i++) {
            int label = labels.get(i);
            List<Integer> diverge =
                objective != Objective.LOGIT_DIVERGE
                    ? List.of()
                    : !divergeFrom.isEmpty()
                        ? divergeFrom
                        : classesPresent.stream().filter(q -> q != label).toList();
            batch.add(
                new Trajectory(
                    x0.get(i),
                    label,
                    objective,
                    c.get("step").asDouble(),
                    c.get("attack").asBoolean(),
                    c.get("eps").asDouble(),
                    diverge,
                    List.of(new Trajectory.Output("c" + ci, steps))));
          }
          List<AscentResult> results = ascent.run(batch);
          if (firstPass.isEmpty()) {
            results.forEach(r -> firstPass.add(r.logits0()));
            // The enhancement's first pass is at x0 too, with autograd on: the same logits.
            double firstPassRel = maxRelativeDiff(firstPass, expectedLogits, k);
            report.add(
                String.format(
                    Locale.ROOT,
                    "logits     %-14s first ascent pass, max relative diff %.2e",
                    id,
                    firstPassRel));
            softly
                .assertThat(firstPassRel)
                .as("%s logits of the first ascent pass", id)
                .isLessThanOrEqualTo(1e-4);
          }
          float[] expectedBest = ReferenceFixtures.f16(id + ".c" + ci + ".best.f16");
          byte[] expected8 = ReferenceFixtures.bytes(id + ".c" + ci + ".best.u8");
          float[] expectedLosses = ReferenceFixtures.f32(id + ".c" + ci + ".losses.f32");
          double maxFloat = 0;
          long same8 = 0;
          int stepMismatches = 0;
          int nearTies = 0;
          double lossRel = 0;
          int compared = 0;
          for (int i = 0; i < x0.size(); i++) {
            float[] losses = results.get(i).losses();
            for (int t = 0; t <= steps; t++) {
              float e = expectedLosses[i * (steps + 1) + t];
              lossRel = Math.max(lossRel, Math.abs(losses[t] - e) / Math.max(1.0, Math.abs(e)));
            }
            int expectedStep = c.get("best_step").get(i).asInt();
            int step = results.get(i).bestStep().get(0);
            if (step != expectedStep) {
              double gap =
                  Math.abs(
                      expectedLosses[i * (steps + 1) + step]
                          - expectedLosses[i * (steps + 1) + expectedStep]);
              if (gap < 1e-5) {
                // Two iterates whose losses differ by less than float noise: either is "the best";
                // the images then legitimately differ, so they are counted, not compared.
                nearTies++;
              } else {
                stepMismatches++;
              }
              continue;
            }
            compared++;
            float[] best = results.get(i).best().get(0);
            byte[] mine8 = RgbImage.fromChw(best, size).pixels();
            for (int p = 0; p < size * size; p++) {
              for (int ch = 0; ch < 3; ch++) {
                // Reference arrays are CHW; our 8-bit image is interleaved HWC.
                int chw = ch * size * size + p;
                maxFloat = Math.max(maxFloat, Math.abs(best[chw] - expectedBest[i * pixels + chw]));
                same8 += mine8[p * 3 + ch] == expected8[i * pixels + chw] ? 1 : 0;
              }
            }
          }
          double share8 = compared == 0 ? 1 : (double) same8 / ((long) pixels * compared);
          report.add(
              String.format(
                  Locale.ROOT,
                  "enhance    %-14s %-34s max |float diff| %.2e, 8-bit identical %.4f%%, loss rel diff %.2e, best-step near-ties %d",
                  id,
                  describe(c),
                  maxFloat,
                  100 * share8,
                  lossRel,
                  nearTies));
          softly.assertThat(stepMismatches).as("%s c%d chosen iterate", id, ci).isZero();
          softly
              .assertThat(lossRel)
              .as("%s c%d loss at every iterate", id, ci)
              .isLessThanOrEqualTo(1e-3);
          boolean chaotic = CHAOTIC.contains(id + ".c" + ci);
          softly
              .assertThat(maxFloat)
              .as("%s c%d final float image", id, ci)
              .isLessThanOrEqualTo(chaotic ? 0.05 : 1e-3);
          softly
              .assertThat(share8)
              .as("%s c%d 8-bit values identical", id, ci)
              .isGreaterThanOrEqualTo(chaotic ? 0.35 : 0.999);
        }
      }
    }
    softly.assertAll();
  }

  @Test
  void shouldTakeTheSameSingleStepFromTheSameIterate() {
    JsonNode entry = fixtures.index.get("models").get("slim-resnet18");
    try (RobustClassifier classifier = load(entry)) {
      int size = classifier.card().inputSize();
      int k = classifier.card().numClasses();
      float[] x0 =
          ReferenceFixtures.chw(
              ReferenceFixtures.bytes(
                  "slim-resnet18." + entry.get("images").get(0).asText() + ".crop.u8"),
              size);
      int label = entry.get("labels").get(0).asInt();
      int checked = 0;
      for (JsonNode c : entry.get("conditions")) {
        for (JsonNode from : c.get("one_step_from")) {
          int t = from.asInt();
          int ci = c.get("index").asInt();
          float[] xt = ReferenceFixtures.f32("slim-resnet18.c" + ci + ".x" + t + ".f32");
          float[] expected =
              ReferenceFixtures.f32("slim-resnet18.c" + ci + ".x" + (t + 1) + ".f32");
          Objective objective =
              Objective.valueOf(c.get("objective").asText().toUpperCase(Locale.ROOT));
          float[] oneHot = new float[k];
          oneHot[label] = 1;
          float[] mask = new float[k];
          List<Integer> others = new ArrayList<>();
          c.get("classes_present")
              .forEach(
                  q -> {
                    if (q.asInt() != label) {
                      others.add(q.asInt());
                    }
                  });
          if (objective == Objective.LOGIT_DIVERGE) {
            others.forEach(q -> mask[q] = 1);
          }
          float[] next;
          try (NDManager m = classifier.manager().newSubManager()) {
            Shape shape = new Shape(1, 3, size, size);
            NDArray x = m.create(xt, shape);
            x.setRequiresGradient(true);
            NDArray grad;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
              NDArray loss =
                  L2ProjectedAscent.loss(
                      classifier.differentiableLogits(x),
                      m.create(oneHot, new Shape(1, k)),
                      m.create(mask, new Shape(1, k)),
                      m.create(new float[] {Math.max(1, others.size())}),
                      m.create(new int[] {objective.ordinal()}));
              collector.backward(loss.mean());
              grad = x.getGradient().duplicate();
            }
            next =
                L2ProjectedAscent.stepAndProject(
                        x.stopGradient(),
                        grad,
                        m.create(x0, shape),
                        m.create(
                            new float[] {(float) c.get("step").asDouble()}, new Shape(1, 1, 1, 1)),
                        m.create(new float[] {(float) c.get("eps").asDouble()}))
                    .toFloatArray();
          }
          double max = 0;
          for (int p = 0; p < next.length; p++) {
            max = Math.max(max, Math.abs(next[p] - expected[p]));
          }
          report.add(
              String.format(
                  Locale.ROOT,
                  "one step   slim-resnet18  %-34s from x%d: max |diff| of x%d %.2e",
                  describe(c),
                  t,
                  t + 1,
                  max));
          assertThat(max).as("one step from x%d of c%d", t, ci).isLessThanOrEqualTo(1e-5);
          checked++;
        }
      }
      assertThat(checked).isEqualTo(2);
    }
  }

  private static float[] predict(Predictor<RgbImage, float[]> predictor, RgbImage image) {
    try (predictor) {
      return predictor.predict(image);
    } catch (TranslateException e) {
      throw new IllegalStateException(e);
    }
  }

  private static <I> List<float[]> predictAll(Predictor<I, float[]> predictor, List<I> images) {
    try (predictor) {
      return predictor.batchPredict(images);
    } catch (TranslateException e) {
      throw new IllegalStateException(e);
    }
  }

  private static double maxRelativeDiff(List<float[]> logits, float[] expected, int k) {
    double rel = 0;
    for (int i = 0; i < logits.size(); i++) {
      for (int c = 0; c < k; c++) {
        float e = expected[i * k + c];
        rel = Math.max(rel, Math.abs(logits.get(i)[c] - e) / Math.max(1.0, Math.abs(e)));
      }
    }
    return rel;
  }

  /** Largest difference of a crop from the reference's, in 8-bit levels; reported. */
  private static int compareCrop(RgbImage crop, byte[] expected, String what, String image) {
    int max = 0;
    int differing = 0;
    for (int i = 0; i < expected.length; i++) {
      int d = Math.abs((crop.pixels()[i] & 0xFF) - (expected[i] & 0xFF));
      max = Math.max(max, d);
      differing += d > 0 ? 1 : 0;
    }
    report.add(
        String.format(
            Locale.ROOT,
            "preprocess %-14s %-13s max |diff| %d/255, %d of %d values differ",
            what,
            image,
            max,
            differing,
            expected.length));
    return max;
  }

  private static String describe(JsonNode c) {
    return String.format(
        Locale.ROOT,
        "eps %s %s x%d %s%s%s",
        c.get("eps").asText(),
        c.get("step").asText(),
        c.get("steps").asInt(),
        c.get("objective").asText(),
        c.get("diverge_from").size() > 0 ? " from " + c.get("diverge_from") : "",
        c.get("attack").asBoolean() ? " attack" : "");
  }

  private static RobustClassifier load(JsonNode entry) {
    return RobustClassifier.load(ReferenceFixtures.REPO.resolve(entry.get("folder").asText()));
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <T> Iterable<T> iterable(Iterator<T> it) {
    return () -> it;
  }
}
