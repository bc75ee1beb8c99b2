package org.lwise.stream.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.ImageRecord;
import org.lwise.stream.schema.JobContext;
import org.lwise.stream.schema.Objective;

class RandomStartTest {
  @Test
  void shouldStartOnTheEpsSphereReproduciblyFromTheSeed() {
    float[] x0 = new float[3 * 28 * 28];
    java.util.Arrays.fill(x0, 0.5f);
    List<Trajectory> batch = List.of(
        new Trajectory(x0, 0, Objective.LOGIT, 0.5, false, 2.0, List.of(), List.of(), 42L),
        new Trajectory(x0, 0, Objective.LOGIT, 0.5, false, 2.0, List.of(), List.of(), 42L),
        new Trajectory(x0, 0, Objective.LOGIT, 0.5, false, 2.0, List.of(), List.of(), 7L),
        new Trajectory(x0, 0, Objective.LOGIT, 0.5, false, 2.0, List.of(), List.of()));
    float[] x0s = new float[4 * x0.length];
    for (int i = 0; i < 4; i++) {
      System.arraycopy(x0, 0, x0s, i * x0.length, x0.length);
    }
    float[] start = L2ProjectedAscent.randomStarts(batch, x0s, x0.length);
    double norm = 0;
    for (int p = 0; p < x0.length; p++) {
      norm += Math.pow(start[p] - 0.5, 2);
      assertThat(start[p]).isEqualTo(start[x0.length + p]);
      assertThat(start[3 * x0.length + p]).isEqualTo(0.5f);
    }
    // No pixel clipped here (2 / sqrt(2352) ~ 0.04 per pixel), so the start lies on the sphere.
    assertThat(Math.sqrt(norm)).isCloseTo(2.0, org.assertj.core.data.Offset.offset(1e-4));
    assertThat(start[2 * x0.length]).isNotEqualTo(start[0]);
  }

  @Test
  void shouldScoreTheCleanImageWhenEnhancingFromARandomStart() {
    try (RobustClassifier model = RobustClassifier.load(Path.of("src/test/resources/models/fashion-cnn"))) {
      ImageEnhancer enhancer = new ImageEnhancer(model, 8, true, Runnable::run);
      float[] chw = ReferenceFixtures.chw(ReferenceFixtures.bytes("fashion-cnn.fashion.png.crop.u8"), 28);
      RgbImage crop = new RgbImage(28, 28, ReferenceFixtures.bytes("fashion-cnn.fashion.png.crop.u8"));
      Condition random = Conditions.create(2, 0.5, 4, Objective.LOGIT, List.of(), false, true);
      assertThat(random.getId()).isEqualTo("2_0.5_4_logit_randstart");
      List<PreparedImage> plain = new ArrayList<>(List.of(new PreparedImage(record(List.of()), crop, chw, null)));
      List<PreparedImage> randomStart = new ArrayList<>(List.of(new PreparedImage(record(List.of(random)), crop, chw, null)));
      var scored = enhancer.process(plain).get(0).score();
      var outcome = enhancer.process(randomStart).get(0);
      // Same clean logits (up to float rounding from a different batch size); a random start would move them far more.
      assertThat(outcome.score().getRobustGtLogit()).isCloseTo(scored.getRobustGtLogit(), org.assertj.core.data.Offset.offset(1e-5));
      assertThat(outcome.images()).extracting(i -> i.getConditionId()).containsExactly("natural", random.getId());
      var again = enhancer.process(new ArrayList<>(List.of(new PreparedImage(record(List.of(random)), crop, chw, null))));
      assertThat(again.get(0).images().get(1).getSha256()).as("seeded: a replay gives the same image")
          .isEqualTo(outcome.images().get(1).getSha256());
    }
  }

  @Test
  void shouldRunMultiViewConditionsBesidePlainOnesInTheWorkersPath() {
    try (RobustClassifier model = RobustClassifier.load(Path.of("src/test/resources/models/fashion-cnn"))) {
      ImageEnhancer enhancer = new ImageEnhancer(model, 8, true, Runnable::run);
      byte[] crop = ReferenceFixtures.bytes("fashion-cnn.fashion.png.crop.u8");
      float[] chw = ReferenceFixtures.chw(crop, 28);
      Condition plain = Conditions.create(2, 0.5, 4, Objective.LOGIT, List.of(), false);
      Condition views = Conditions.withViews(Conditions.create(2, 0.5, 4, Objective.LOGIT, List.of(), false), 2,
          Conditions.DEFAULT_AUG_TYPES);
      var outcome = enhancer.process(new ArrayList<>(List.of(
          new PreparedImage(record(List.of(plain, views)), new RgbImage(28, 28, crop), chw, null)))).get(0);
      assertThat(outcome.images()).extracting(i -> i.getConditionId())
          .containsExactlyInAnyOrder("natural", plain.getId(), views.getId());
      assertThat(outcome.images().get(2).getSha256()).isNotEqualTo(outcome.images().get(1).getSha256());
      var again = enhancer.process(new ArrayList<>(List.of(
          new PreparedImage(record(List.of(plain, views)), new RgbImage(28, 28, crop), chw, null)))).get(0);
      assertThat(again.images().get(2).getSha256()).as("views seeded per image: a replay gives the same image")
          .isEqualTo(outcome.images().get(2).getSha256());
    }
  }

  private static ImageRecord record(List<Condition> conditions) {
    JobContext job = JobContext.newBuilder().setDataset("d").setModelId("fashion-cnn").setConditions(conditions)
        .setClassesPresent(List.of(9)).setOutputFormat(ImageFormat.PNG).build();
    return ImageRecord.newBuilder().setJobId("j").setRowIndex(3).setValues(List.of()).setLabel(9)
        .setImPath("a.png").setContentType("image/png").setSha256("x").setImage(ByteBuffer.allocate(0))
        .setContext(job).build();
  }
}
