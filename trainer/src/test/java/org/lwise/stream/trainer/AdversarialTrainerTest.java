package org.lwise.stream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.method.ModelCard;
import org.lwise.stream.method.Objective;
import org.lwise.stream.method.RobustClassifier;

/**
 * Short real training runs on the committed demo images (the train split of demo/fashion-mnist).
 */
class AdversarialTrainerTest {
  static final Path DEMO = Path.of("../demo/fashion-mnist/dirmap.csv");
  static final Path INIT = Path.of("../demo/models/fashion-cnn-init");
  static final Path STANDARD = Path.of("../demo/models/fashion-cnn-standard");

  @Test
  void shouldLowerTheLossAndSaveAModelTheWorkerLoads(@TempDir Path out) throws Exception {
    LabeledImages train = LabeledImages.load(DEMO, "train", "class_num", 28, 0, 0);
    assertThat(train.size()).isEqualTo(180);
    AdversarialTrainer.Settings settings =
        new AdversarialTrainer.Settings(
            3, 30, 0.05f, 0.9f, 5e-4f, new int[0], 0.1f, 0, 0, 0, false, 0);
    Path saved = out.resolve("tiny.pt");
    double[] losses;
    try (RobustClassifier model = RobustClassifier.load(INIT)) {
      AdversarialTrainer trainer = new AdversarialTrainer(model);
      losses = trainer.train(train, settings, 1, out.resolve("checkpoints"), new NoProgress());
      trainer.save(saved);
    }
    assertThat(losses[1]).as("last epoch's loss below the first's").isLessThan(losses[0]);
    assertThat(out.resolve("checkpoints/epoch-3.pt")).exists();

    ModelCard init = ModelCard.read(INIT);
    new ModelCard(
            "tiny", "tiny.pt", 28, init.mean(), init.std(), 10, init.classNames(), false, Map.of())
        .write(out);
    try (RobustClassifier reloaded = RobustClassifier.load(out)) {
      LabeledImages val = LabeledImages.load(DEMO, "val", "class_num", 28, 0, 0);
      ModelEvaluator.Evaluation e = new ModelEvaluator(reloaded).evaluate(val, 0, 0, 0, 50, 0);
      assertThat(e.images()).isEqualTo(60);
      assertThat(e.cleanAccuracy())
          .as("better than chance (0.1) after 3 tiny epochs")
          .isGreaterThan(0.2);
    }
  }

  @Test
  void shouldTrainOnBatchesThePgdAdversaryMadeHarder(@TempDir Path out) {
    // The same start (a trained standard model), data, order and seed: the first batch's loss is
    // measured before any update, so it differs only by what the adversary did to the batch.
    LabeledImages train = LabeledImages.load(DEMO, "train", "class_num", 28, 60, 1);
    double clean = firstBatchLoss(train, 0, out.resolve("clean"));
    double adversarial = firstBatchLoss(train, 1.5, out.resolve("adversarial"));
    assertThat(clean).isFinite().isPositive();
    assertThat(adversarial)
        .as("loss on the adversarial batch vs the clean one (%s)", clean)
        .isGreaterThan(2 * clean);
    assertThat(out.resolve("adversarial/epoch-1.pt")).exists();
  }

  private static double firstBatchLoss(LabeledImages train, double eps, Path checkpoints) {
    AdversarialTrainer.Settings settings =
        new AdversarialTrainer.Settings(
            1,
            30,
            0.01f,
            0.9f,
            5e-4f,
            new int[0],
            0.1f,
            eps,
            eps > 0 ? 5 : 0,
            eps > 0 ? 2.5 * eps / 5 : 0,
            eps > 0,
            0);
    List<Double> losses = new ArrayList<>();
    try (RobustClassifier model = RobustClassifier.load(STANDARD)) {
      new AdversarialTrainer(model)
          .train(
              train,
              settings,
              1,
              checkpoints,
              new NoProgress() {
                @Override
                public void batch(int epoch, int step, int steps, double loss, double accuracy) {
                  losses.add(loss);
                }
              });
    }
    return losses.get(0);
  }

  @Test
  void shouldDropTheLearningRateAtTheGivenEpochs() {
    AdversarialTrainer.Settings s =
        new AdversarialTrainer.Settings(
            6, 10, 0.1f, 0.9f, 0, new int[] {2, 4}, 0.1f, 0, 0, 0, false, 0);
    var fresh = AdversarialTrainer.learningRate(s, 100, 0);
    assertThat(fresh.getNewValue(0)).isEqualTo(0.1f);
    assertThat(fresh.getNewValue(199)).isEqualTo(0.1f);
    assertThat(fresh.getNewValue(200)).isCloseTo(0.01f, offset(1e-7f));
    assertThat(fresh.getNewValue(400)).isCloseTo(0.001f, offset(1e-8f));
    var resumedAfterEpoch3 = AdversarialTrainer.learningRate(s, 100, 300);
    assertThat(resumedAfterEpoch3.getNewValue(0)).isCloseTo(0.01f, offset(1e-7f));
    assertThat(resumedAfterEpoch3.getNewValue(100)).isCloseTo(0.001f, offset(1e-8f));
  }

  @Test
  void shouldComputeAurocWithTiesCountingHalf() {
    assertThat(
            ModelEvaluator.auroc(
                new double[] {1, 2, 3, 4}, new boolean[] {false, false, true, true}))
        .isEqualTo(1.0);
    assertThat(
            ModelEvaluator.auroc(
                new double[] {1, 2, 3, 4}, new boolean[] {true, true, false, false}))
        .isEqualTo(0.0);
    assertThat(
            ModelEvaluator.auroc(
                new double[] {1, 1, 1, 1}, new boolean[] {true, false, true, false}))
        .isEqualTo(0.5);
    assertThat(
            ModelEvaluator.auroc(
                new double[] {0, 2, 1, 3}, new boolean[] {false, true, false, true}))
        .isEqualTo(1.0);
  }

  @Test
  void shouldWriteTheConfusionMatrixAsCsvAndPicture(@TempDir Path out) throws Exception {
    try (RobustClassifier model = RobustClassifier.load(STANDARD)) {
      LabeledImages test = LabeledImages.load(DEMO, "test", "class_num", 28, 0, 0);
      List<Integer> batches = new ArrayList<>();
      ModelEvaluator.Evaluation e =
          new ModelEvaluator(model).evaluate(test, 1.0, 3, 0.8, 30, 0, batches::add);
      assertThat(batches).containsExactly(30, 30); // progress: one report per finished batch
      assertThat(e.cleanAccuracy()).isGreaterThan(0.7);
      assertThat(e.adversarialAccuracy()).isLessThan(e.cleanAccuracy());
      int total = 0;
      for (int[] row : e.confusion()) {
        for (int v : row) {
          total += v;
        }
      }
      assertThat(total).isEqualTo(60);
      EvaluationReport.writeConfusionCsv(
          e, model.card().classNames(), out.resolve("confusion.csv"));
      EvaluationReport.writeConfusionPng(
          e, model.card().classNames(), "test", out.resolve("confusion.png"));
      List<String> csv = Files.readAllLines(out.resolve("confusion.csv"));
      assertThat(csv).hasSize(11);
      assertThat(csv.get(0)).startsWith("true\\predicted,T-shirt/top,Trouser");
      assertThat(ImageIO.read(out.resolve("confusion.png").toFile()).getWidth()).isGreaterThan(400);
    }
  }

  @Test
  void shouldDrawOriginalsAndTheirEnhancementsAtEachEps(@TempDir Path out) throws Exception {
    try (RobustClassifier model = RobustClassifier.load(STANDARD)) {
      LabeledImages images = LabeledImages.load(DEMO, "test", "class_num", 28, 3, 0);
      EnhancementGrid.write(
          List.of(model), images, List.of(1.0, 2.0), Objective.LOGIT, out.resolve("grid.png"));
      BufferedImage png = ImageIO.read(out.resolve("grid.png").toFile());
      // 3 rows of 84 px tiles (28 px x 3), 3 columns (original + 2 eps).
      assertThat(png.getHeight()).isEqualTo(50 + 3 * (84 + 6) + 10);
      assertThat(png.getWidth()).isEqualTo(10 + 3 * (84 + 6) + 16);
      int[] all = {0, 1, 2};
      float[] originals = images.batch(all);
      int pixels = 3 * 28 * 28;
      for (int row = 0; row < 3; row++) {
        float[] original = tile(png, row, 0);
        float[] eps1 = tile(png, row, 1);
        float[] eps2 = tile(png, row, 2);
        assertThat(
                distance(original, Arrays.copyOfRange(originals, row * pixels, (row + 1) * pixels)))
            .as("row %d: the first column is the original", row)
            .isZero();
        // At most eps away (plus 8-bit rounding: sqrt(2352) * 0.5/255 = 0.1 in L2); clamping to
        // [0,1] on the black background shortens the steps, so less than eps, but far from zero.
        double d1 = distance(eps1, original);
        double d2 = distance(eps2, original);
        assertThat(d1).as("row %d eps 1", row).isBetween(0.25, 1.1);
        assertThat(d2).as("row %d eps 2", row).isBetween(d1 + 0.2, 2.1);
        assertThat(distance(eps2, eps1)).as("row %d eps 2 vs eps 1", row).isGreaterThan(0.2);
      }
    }
  }

  /** The 28 px image drawn (3x enlarged) in a tile of the grid, CHW in [0,1]. */
  private static float[] tile(BufferedImage grid, int row, int column) {
    int left = 10 + column * (84 + 6);
    int top = 50 + row * (84 + 6);
    float[] chw = new float[3 * 28 * 28];
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        int rgb = grid.getRGB(left + 3 * x + 1, top + 3 * y + 1);
        chw[y * 28 + x] = ((rgb >> 16) & 0xFF) / 255f;
        chw[784 + y * 28 + x] = ((rgb >> 8) & 0xFF) / 255f;
        chw[2 * 784 + y * 28 + x] = (rgb & 0xFF) / 255f;
      }
    }
    return chw;
  }

  private static double distance(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (a[i] - b[i]) * (a[i] - b[i]);
    }
    return Math.sqrt(sum);
  }

  private static class NoProgress implements AdversarialTrainer.Listener {
    @Override
    public void batch(int epoch, int step, int steps, double loss, double accuracy) {}

    @Override
    public void epochDone(int epoch, Path checkpoint) {}
  }
}
