package org.lwise.stream.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.method.ImageStatistics;
import org.lwise.stream.method.Preprocessor;
import org.lwise.stream.method.RgbImage;
import org.lwise.stream.method.RobustClassifier;
import org.lwise.stream.method.Trajectory;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.ImageRecord;
import org.lwise.stream.schema.JobContext;
import org.lwise.stream.schema.Objective;

/**
 * The worker's path from prepared images to scores and images, on the method module's small test
 * CNN.
 */
class ImageEnhancerTest {
  static final Path METHOD_FIXTURES = Path.of("../method/src/test/resources");
  static RobustClassifier model;
  static ImageEnhancer enhancer;
  static RgbImage crop;

  @BeforeAll
  static void load() throws Exception {
    model = RobustClassifier.load(METHOD_FIXTURES.resolve("models/fashion-cnn"));
    enhancer = new ImageEnhancer(model, 8, true, Runnable::run);
    byte[] file = Files.readAllBytes(METHOD_FIXTURES.resolve("reference/images/fashion.png"));
    crop = new Preprocessor(28).resizeAndCrop(new ImageDecoder().decode(file));
  }

  @AfterAll
  static void close() {
    enhancer.close();
    model.close();
  }

  @Test
  void shouldBatchTrajectoriesOfOneLengthTogetherSoNoneRunsLongerThanItNeeds() {
    // Two items of the published shared sweep: each has a 4-step and a 16-step trajectory.
    List<Trajectory> trajectories = new ArrayList<>();
    for (int item = 0; item < 2; item++) {
      for (int steps : new int[] {4, 16}) {
        trajectories.add(
            new Trajectory(
                new float[3],
                0,
                org.lwise.stream.method.Objective.LOGIT,
                0.5,
                false,
                steps / 2.0,
                List.of(),
                List.of(new Trajectory.Output("eps " + steps / 2.0, steps))));
      }
    }
    List<List<Integer>> batches = ImageEnhancer.modelBatches(trajectories, List.of(0, 1, 2, 3), 2);
    assertThat(batches).containsExactly(List.of(1, 3), List.of(0, 2));
    int passes =
        batches.stream()
            .mapToInt(b -> b.stream().mapToInt(i -> trajectories.get(i).steps()).max().orElse(0))
            .sum();
    assertThat(passes).as("16 + 4 steps, not 16 + 16").isEqualTo(20);
  }

  @Test
  void shouldScoreAJobWithoutConditionsLikeTheFirstPassOfAnEnhancement() {
    var scoredOnly = process(List.of()).score();
    Condition plain = Conditions.create(2, 0.5, 4, Objective.LOGIT, List.of(), false);
    var enhanced = process(List.of(plain));
    // The forward-only predictor and the ascent's first (autograd) pass at x0 give the same logits.
    assertThat(enhanced.score().getRobustGtLogit())
        .isCloseTo(scoredOnly.getRobustGtLogit(), offset(1e-5));
    assertThat(enhanced.score().getRobustCrossEntropy())
        .isCloseTo(scoredOnly.getRobustCrossEntropy(), offset(1e-5));
    assertThat(enhanced.score().getPredictedClass()).isEqualTo(scoredOnly.getPredictedClass());
    assertThat(process(List.of()).images())
        .extracting(i -> i.getConditionId())
        .containsExactly("natural");
  }

  @Test
  void shouldCarryTheCropsImageStatisticsInTheScore() {
    var score = process(List.of()).score();
    ImageStatistics.Values expected = ImageStatistics.of(crop);
    assertThat(score.getImageEntropy()).isEqualTo(expected.entropy()).isPositive();
    assertThat(score.getDctRelevantFraction())
        .isEqualTo(expected.dctRelevantFraction())
        .isPositive();
  }

  @Test
  void shouldScoreTheCleanImageWhenEnhancingFromARandomStart() {
    Condition random = Conditions.create(2, 0.5, 4, Objective.LOGIT, List.of(), false, true);
    assertThat(random.getId()).isEqualTo("2_0.5_4_logit_randstart");
    var scored = process(List.of()).score();
    var outcome = process(List.of(random));
    // Same clean logits; a random start would move them far more.
    assertThat(outcome.score().getRobustGtLogit())
        .isCloseTo(scored.getRobustGtLogit(), offset(1e-5));
    assertThat(outcome.images())
        .extracting(i -> i.getConditionId())
        .containsExactly("natural", random.getId());
    assertThat(process(List.of(random)).images().get(1).getSha256())
        .as("seeded: a replay gives the same image")
        .isEqualTo(outcome.images().get(1).getSha256());
  }

  @Test
  void shouldRunMultiViewConditionsBesidePlainOnesInTheWorkersPath() {
    Condition plain = Conditions.create(2, 0.5, 4, Objective.LOGIT, List.of(), false);
    Condition views =
        Conditions.withViews(
            Conditions.create(2, 0.5, 4, Objective.LOGIT, List.of(), false),
            2,
            Conditions.DEFAULT_AUG_TYPES);
    var outcome = process(List.of(plain, views));
    assertThat(outcome.images())
        .extracting(i -> i.getConditionId())
        .containsExactlyInAnyOrder("natural", plain.getId(), views.getId());
    assertThat(outcome.images().get(2).getSha256())
        .isNotEqualTo(outcome.images().get(1).getSha256());
    assertThat(process(List.of(plain, views)).images().get(2).getSha256())
        .as("views seeded per image: a replay gives the same image")
        .isEqualTo(outcome.images().get(2).getSha256());
  }

  private static ImageEnhancer.Outcome process(List<Condition> conditions) {
    PreparedImage item =
        new PreparedImage(record(conditions), crop, Preprocessor.toChw(crop), null);
    return enhancer.process(new ArrayList<>(List.of(item))).get(0);
  }

  private static ImageRecord record(List<Condition> conditions) {
    JobContext job =
        JobContext.newBuilder()
            .setDataset("d")
            .setModelId("fashion-cnn")
            .setConditions(conditions)
            .setClassesPresent(List.of(9))
            .setOutputFormat(ImageFormat.PNG)
            .build();
    return ImageRecord.newBuilder()
        .setJobId("j")
        .setRowIndex(3)
        .setValues(List.of())
        .setLabel(9)
        .setImPath("a.png")
        .setContentType("image/png")
        .setSha256("x")
        .setImage(ByteBuffer.allocate(0))
        .setContext(job)
        .build();
  }
}
