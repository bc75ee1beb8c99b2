package org.lwise.stream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.ModelCard;
import org.lwise.stream.worker.RobustClassifier;

/** Short real training runs on the committed demo images (the train split of demo/fashion-mnist). */
class AdversarialTrainerTest {
  static final Path DEMO = Path.of("../demo/fashion-mnist/dirmap.csv");
  static final Path INIT = Path.of("../demo/models/fashion-cnn-init");

  @Test
  void shouldLowerTheLossAndSaveAModelTheWorkerLoads(@TempDir Path out) throws Exception {
    LabeledImages train = LabeledImages.load(DEMO, "train", "class_num", 28, 0, 0);
    assertThat(train.size()).isEqualTo(180);
    AdversarialTrainer.Settings settings = new AdversarialTrainer.Settings(3, 30, 0.05f, 0.9f, 5e-4f, new int[0], 0.1f,
        0, 0, 0, false, 0);
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
    new ModelCard("tiny", "tiny.pt", 28, init.mean(), init.std(), 10, init.classNames(), false, java.util.Map.of())
        .write(out);
    try (RobustClassifier reloaded = RobustClassifier.load(out)) {
      LabeledImages val = LabeledImages.load(DEMO, "val", "class_num", 28, 0, 0);
      ModelEvaluator.Evaluation e = new ModelEvaluator(reloaded).evaluate(val, 0, 0, 0, 50, 0);
      assertThat(e.images()).isEqualTo(60);
      assertThat(e.cleanAccuracy()).as("better than chance (0.1) after 3 tiny epochs").isGreaterThan(0.2);
    }
  }

  @Test
  void shouldTrainAgainstThePgdAdversaryWhenEpsIsPositive(@TempDir Path out) {
    LabeledImages train = LabeledImages.load(DEMO, "train", "class_num", 28, 60, 1);
    AdversarialTrainer.Settings settings = new AdversarialTrainer.Settings(1, 30, 0.05f, 0.9f, 5e-4f, new int[] {1}, 0.1f,
        1.0, 2, 1.25, true, 0);
    try (RobustClassifier model = RobustClassifier.load(INIT)) {
      double[] losses = new AdversarialTrainer(model).train(train, settings, 1, out, new NoProgress());
      assertThat(losses[0]).isFinite().isPositive();
    }
    assertThat(out.resolve("epoch-1.pt")).exists();
  }

  @Test
  void shouldDropTheLearningRateAtTheGivenEpochs() {
    AdversarialTrainer.Settings s = new AdversarialTrainer.Settings(6, 10, 0.1f, 0.9f, 0, new int[] {2, 4}, 0.1f,
        0, 0, 0, false, 0);
    var fresh = AdversarialTrainer.learningRate(s, 100, 0);
    assertThat(fresh.getNewValue(0)).isEqualTo(0.1f);
    assertThat(fresh.getNewValue(199)).isEqualTo(0.1f);
    assertThat(fresh.getNewValue(200)).isCloseTo(0.01f, org.assertj.core.data.Offset.offset(1e-7f));
    assertThat(fresh.getNewValue(400)).isCloseTo(0.001f, org.assertj.core.data.Offset.offset(1e-8f));
    var resumedAfterEpoch3 = AdversarialTrainer.learningRate(s, 100, 300);
    assertThat(resumedAfterEpoch3.getNewValue(0)).isCloseTo(0.01f, org.assertj.core.data.Offset.offset(1e-7f));
    assertThat(resumedAfterEpoch3.getNewValue(100)).isCloseTo(0.001f, org.assertj.core.data.Offset.offset(1e-8f));
  }

  @Test
  void shouldComputeAurocWithTiesCountingHalf() {
    assertThat(ModelEvaluator.auroc(new double[] {1, 2, 3, 4}, new boolean[] {false, false, true, true})).isEqualTo(1.0);
    assertThat(ModelEvaluator.auroc(new double[] {1, 2, 3, 4}, new boolean[] {true, true, false, false})).isEqualTo(0.0);
    assertThat(ModelEvaluator.auroc(new double[] {1, 1, 1, 1}, new boolean[] {true, false, true, false})).isEqualTo(0.5);
    assertThat(ModelEvaluator.auroc(new double[] {0, 2, 1, 3}, new boolean[] {false, true, false, true})).isEqualTo(1.0);
  }

  @Test
  void shouldWriteTheConfusionMatrixAsCsvAndPicture(@TempDir Path out) throws Exception {
    try (RobustClassifier model = RobustClassifier.load(Path.of("../demo/models/fashion-cnn-standard"))) {
      LabeledImages test = LabeledImages.load(DEMO, "test", "class_num", 28, 0, 0);
      List<Integer> batches = new java.util.ArrayList<>();
      ModelEvaluator.Evaluation e = new ModelEvaluator(model).evaluate(test, 1.0, 3, 0.8, 30, 0, batches::add);
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
      EvaluationReport.writeConfusionCsv(e, model.card().classNames(), out.resolve("confusion.csv"));
      EvaluationReport.writeConfusionPng(e, model.card().classNames(), "test", out.resolve("confusion.png"));
      List<String> csv = Files.readAllLines(out.resolve("confusion.csv"));
      assertThat(csv).hasSize(11);
      assertThat(csv.get(0)).startsWith("true\\predicted,T-shirt/top,Trouser");
      assertThat(javax.imageio.ImageIO.read(out.resolve("confusion.png").toFile()).getWidth()).isGreaterThan(400);
    }
  }

  @Test
  void shouldDrawOriginalsAndEnhancementsPerModel(@TempDir Path out) throws Exception {
    try (RobustClassifier model = RobustClassifier.load(Path.of("../demo/models/fashion-cnn-standard"))) {
      LabeledImages images = LabeledImages.load(DEMO, "test", "class_num", 28, 3, 0);
      EnhancementGrid.write(List.of(model), images, List.of(1.0, 2.0), org.lwise.stream.schema.Objective.LOGIT,
          out.resolve("grid.png"));
      var png = javax.imageio.ImageIO.read(out.resolve("grid.png").toFile());
      // 3 rows of 84 px tiles (28 px x 3), 3 columns (original + 2 eps).
      assertThat(png.getHeight()).isEqualTo(50 + 3 * (84 + 6) + 10);
      assertThat(png.getWidth()).isEqualTo(10 + 3 * (84 + 6) + 16);
    }
  }

  private static final class NoProgress implements AdversarialTrainer.Listener {
    @Override
    public void batch(int epoch, int step, int steps, double loss, double accuracy) {}

    @Override
    public void epochDone(int epoch, Path checkpoint) {}
  }
}
