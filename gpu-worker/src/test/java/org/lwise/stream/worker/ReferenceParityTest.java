package org.lwise.stream.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lwise.stream.schema.Objective;

/**
 * Java against the PyTorch/PIL reference (tools/make_reference.py) on two models — the 28 px demo
 * CNN and a 224 px ResNet-18-shaped model with 7 outputs — for preprocessing, logits and the whole
 * enhancement loop. Tolerances are the ones the project promises in README "Fidelity"; the measured
 * maxima are written to target/parity-report.txt.
 */
class ReferenceParityTest {
  /**
   * Long trajectories where float rounding differences between libtorch 2.7.1 (DJL) and the
   * reference's torch 1.13 (~1e-7 in the logits) grow chaotically: the demo CNN's cross-entropy
   * saturates at 0 in float32 (its gradient is then rounding noise), and the random-weight ResNet's
   * loss surface is rough. Their losses still match at every iterate (asserted below); their final
   * pixels are held to a looser bound. README "Fidelity" lists the measured values.
   */
  static final java.util.Set<String> CHAOTIC = java.util.Set.of("fashion-cnn.c3", "slim-resnet18.c2", "slim-resnet18.c3");

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
          assertThat(compareCrop(crop, expected, id, name.asText())).as("%s %s preprocessed pixels", id, name.asText())
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
        assertThat(compareCrop(crop, expected, size + " px", name.asText())).as("%s at %d px", name.asText(), size)
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
          // profile is off by one level in a few values only, which that tolerance would let through.
          softly.assertThat(compareCrop(crop, expected, id, name.asText())).as("%s %s preprocessed pixels", id, name.asText())
              .isZero();
          // Logits of our own decoding, so the comparison covers decode, preprocess and model.
          float[] logits = new L2ProjectedAscent(classifier).run(List.of(new Trajectory(Preprocessor.toChw(crop), 0,
              Objective.LOGIT, 0, false, 0, List.of(), List.of()))).get(0).logits0();
          float[] expectedLogits = ReferenceFixtures.f32(id + "." + name.asText() + ".logits.f32");
          double rel = 0;
          for (int c = 0; c < k; c++) {
            rel = Math.max(rel, Math.abs(logits[c] - expectedLogits[c]) / Math.max(1.0, Math.abs(expectedLogits[c])));
          }
          report.add(String.format(Locale.ROOT, "logits     %-14s %-14s max relative diff %.2e", id, name.asText(), rel));
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
          x0.add(ReferenceFixtures.chw(ReferenceFixtures.bytes(id + "." + entry.get("images").get(i).asText() + ".crop.u8"), size));
          labels.add(entry.get("labels").get(i).asInt());
        }
        L2ProjectedAscent ascent = new L2ProjectedAscent(classifier);

        float[] expectedLogits = ReferenceFixtures.f32(id + ".logits.f32");
        List<Trajectory> scoring = new ArrayList<>();
        for (int i = 0; i < x0.size(); i++) {
          scoring.add(new Trajectory(x0.get(i), labels.get(i), Objective.LOGIT, 0, false, 0, List.of(), List.of()));
        }
        List<AscentResult> scored = ascent.run(scoring);
        double logitRel = 0;
        int k = classifier.card().numClasses();
        for (int i = 0; i < x0.size(); i++) {
          for (int c = 0; c < k; c++) {
            float e = expectedLogits[i * k + c];
            logitRel = Math.max(logitRel, Math.abs(scored.get(i).logits0()[c] - e) / Math.max(1.0, Math.abs(e)));
          }
        }
        report.add(String.format(Locale.ROOT, "logits     %-14s max relative diff %.2e", id, logitRel));
        softly.assertThat(logitRel).as("%s logits", id).isLessThanOrEqualTo(1e-4);

        for (JsonNode c : entry.get("conditions")) {
          int ci = c.get("index").asInt();
          List<Integer> classesPresent = new ArrayList<>();
          c.get("classes_present").forEach(n -> classesPresent.add(n.asInt()));
          List<Integer> divergeFrom = new ArrayList<>();
          c.get("diverge_from").forEach(n -> divergeFrom.add(n.asInt()));
          Objective objective = Objective.valueOf(c.get("objective").asText().toUpperCase(Locale.ROOT));
          int steps = c.get("steps").asInt();
          List<Trajectory> batch = new ArrayList<>();
          for (int i = 0; i < x0.size(); i++) {
            int label = labels.get(i);
            List<Integer> diverge = objective != Objective.LOGIT_DIVERGE ? List.of()
                : !divergeFrom.isEmpty() ? divergeFrom : classesPresent.stream().filter(q -> q != label).toList();
            batch.add(new Trajectory(x0.get(i), label, objective, c.get("step").asDouble(), c.get("attack").asBoolean(),
                c.get("eps").asDouble(), diverge, List.of(new Trajectory.Output("c" + ci, steps))));
          }
          List<AscentResult> results = ascent.run(batch);
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
              double gap = Math.abs(expectedLosses[i * (steps + 1) + step] - expectedLosses[i * (steps + 1) + expectedStep]);
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
            byte[] mine8 = OutputEncoder.to8Bit(best, size).pixels();
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
          report.add(String.format(Locale.ROOT,
              "enhance    %-14s %-34s max |float diff| %.2e, 8-bit identical %.4f%%, loss rel diff %.2e, best-step near-ties %d",
              id, describe(c), maxFloat, 100 * share8, lossRel, nearTies));
          softly.assertThat(stepMismatches).as("%s c%d chosen iterate", id, ci).isZero();
          softly.assertThat(lossRel).as("%s c%d loss at every iterate", id, ci).isLessThanOrEqualTo(1e-3);
          boolean chaotic = CHAOTIC.contains(id + ".c" + ci);
          softly.assertThat(maxFloat).as("%s c%d final float image", id, ci).isLessThanOrEqualTo(chaotic ? 0.05 : 1e-3);
          softly.assertThat(share8).as("%s c%d 8-bit values identical", id, ci).isGreaterThanOrEqualTo(chaotic ? 0.35 : 0.999);
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
      float[] x0 = ReferenceFixtures.chw(ReferenceFixtures.bytes("slim-resnet18." + entry.get("images").get(0).asText() + ".crop.u8"), size);
      int label = entry.get("labels").get(0).asInt();
      int checked = 0;
      for (JsonNode c : entry.get("conditions")) {
        for (JsonNode from : c.get("one_step_from")) {
          int t = from.asInt();
          int ci = c.get("index").asInt();
          float[] xt = ReferenceFixtures.f32("slim-resnet18.c" + ci + ".x" + t + ".f32");
          float[] expected = ReferenceFixtures.f32("slim-resnet18.c" + ci + ".x" + (t + 1) + ".f32");
          Objective objective = Objective.valueOf(c.get("objective").asText().toUpperCase(Locale.ROOT));
          float[] oneHot = new float[k];
          oneHot[label] = 1;
          float[] mask = new float[k];
          List<Integer> others = new ArrayList<>();
          c.get("classes_present").forEach(q -> {
            if (q.asInt() != label) {
              others.add(q.asInt());
            }
          });
          if (objective == Objective.LOGIT_DIVERGE) {
            others.forEach(q -> mask[q] = 1);
          }
          float[] next;
          try (ai.djl.ndarray.NDManager m = classifier.manager().newSubManager()) {
            ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(1, 3, size, size);
            ai.djl.ndarray.NDArray x = m.create(xt, shape);
            x.setRequiresGradient(true);
            ai.djl.ndarray.NDArray grad;
            try (ai.djl.training.GradientCollector collector = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
              ai.djl.ndarray.NDArray loss = L2ProjectedAscent.loss(classifier.logits(x), m.create(oneHot, new ai.djl.ndarray.types.Shape(1, k)),
                  m.create(mask, new ai.djl.ndarray.types.Shape(1, k)), m.create(new float[] {Math.max(1, others.size())}),
                  m.create(new int[] {objective.ordinal()}));
              collector.backward(loss.mean());
              grad = x.getGradient().duplicate();
            }
            next = L2ProjectedAscent.stepAndProject(x.stopGradient(), grad, m.create(x0, shape),
                m.create(new float[] {(float) c.get("step").asDouble()}, new ai.djl.ndarray.types.Shape(1, 1, 1, 1)),
                m.create(new float[] {(float) c.get("eps").asDouble()})).toFloatArray();
          }
          double max = 0;
          for (int p = 0; p < next.length; p++) {
            max = Math.max(max, Math.abs(next[p] - expected[p]));
          }
          report.add(String.format(Locale.ROOT, "one step   slim-resnet18  %-34s from x%d: max |diff| of x%d %.2e",
              describe(c), t, t + 1, max));
          assertThat(max).as("one step from x%d of c%d", t, ci).isLessThanOrEqualTo(1e-5);
          checked++;
        }
      }
      assertThat(checked).isEqualTo(2);
    }
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
    report.add(String.format(Locale.ROOT, "preprocess %-14s %-13s max |diff| %d/255, %d of %d values differ",
        what, image, max, differing, expected.length));
    return max;
  }

  private static String describe(JsonNode c) {
    return String.format(Locale.ROOT, "eps %s %s x%d %s%s%s", c.get("eps").asText(), c.get("step").asText(),
        c.get("steps").asInt(), c.get("objective").asText(),
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
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
    return () -> it;
  }
}
