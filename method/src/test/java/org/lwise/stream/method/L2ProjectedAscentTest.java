package org.lwise.stream.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.inference.Predictor;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The attack loop's own guarantees, on the small demo model. */
class L2ProjectedAscentTest {
  static RobustClassifier model;
  static L2ProjectedAscent ascent;
  static List<float[]> images = new ArrayList<>();
  static final int[] LABELS = {9, 2, 6};

  @BeforeAll
  static void load() {
    model = RobustClassifier.load(Path.of("src/test/resources/models/fashion-cnn"));
    ascent = new L2ProjectedAscent(model);
    for (String name : List.of("fashion.png", "gray.jpg", "wide_rgb.png")) {
      images.add(
          ReferenceFixtures.chw(ReferenceFixtures.bytes("fashion-cnn." + name + ".crop.u8"), 28));
    }
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void shouldStayInsideTheL2BallAndTheImageRange() {
    List<Trajectory> batch = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      batch.add(
          new Trajectory(
              images.get(i),
              LABELS[i],
              Objective.LOGIT,
              1.0,
              false,
              1.5,
              List.of(),
              List.of(new Trajectory.Output("c", 6))));
    }
    for (int i = 0; i < images.size(); i++) {
      float[] best = ascent.run(batch).get(i).best().get(0);
      double norm = 0;
      for (int p = 0; p < best.length; p++) {
        assertThat(best[p]).isBetween(0f, 1f);
        double d = best[p] - images.get(i)[p];
        norm += d * d;
      }
      assertThat(Math.sqrt(norm)).isLessThanOrEqualTo(1.5 + 1e-4);
    }
  }

  @Test
  void shouldReturnTheBestIterateItselfAndNeverAnImageWorseThanTheOriginal() throws Exception {
    List<Trajectory> batch = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      // Two outputs of one trajectory: the best of x0 alone (which must be x0, not the last
      // iterate), and the best of x0..x4.
      batch.add(
          new Trajectory(
              images.get(i),
              LABELS[i],
              Objective.CROSS_ENTROPY,
              3,
              false,
              6,
              List.of(),
              List.of(new Trajectory.Output("x0 only", 0), new Trajectory.Output("c", 4))));
    }
    List<AscentResult> results = ascent.run(batch);
    try (Predictor<float[], float[]> predictor = model.newChwPredictor()) {
      for (int i = 0; i < images.size(); i++) {
        AscentResult r = results.get(i);
        assertThat(r.bestStep().get(0)).isZero();
        assertThat(r.best().get(0))
            .as("a prefix of no steps returns x0 itself")
            .isEqualTo(images.get(i));
        float[] losses = r.losses();
        int chosen = r.bestStep().get(1);
        for (float l : losses) {
          assertThat(losses[chosen]).isLessThanOrEqualTo(l);
        }
        // The image returned is the chosen iterate: its own loss, recomputed, is that iterate's.
        float[] best = r.best().get(1);
        assertThat(crossEntropy(predictor.predict(best), LABELS[i]))
            .as("loss of the returned image %d", i)
            .isCloseTo(losses[chosen], offset(1e-4 * Math.max(1, Math.abs(losses[chosen]))));
        if (chosen == 4) {
          assertThat(best).isEqualTo(r.last());
        }
        if (chosen > 0) {
          assertThat(best).as("image %d moved", i).isNotEqualTo(images.get(i));
        }
      }
    }
  }

  @Test
  void shouldRaiseTheLossWhenAttacking() {
    List<Trajectory> batch =
        List.of(
            new Trajectory(
                images.get(0),
                LABELS[0],
                Objective.LOGIT,
                0.5,
                true,
                2,
                List.of(),
                List.of(new Trajectory.Output("c", 4))));
    AscentResult r = ascent.run(batch).get(0);
    assertThat(r.bestStep().get(0)).isPositive();
    assertThat(r.losses()[r.bestStep().get(0)]).isGreaterThan(r.losses()[0]);
  }

  @Test
  void shouldGiveIdenticalResultsFromOneSharedTrajectoryAsFromSeparateRuns() {
    List<EnhancementCondition> sweep = new ArrayList<>();
    for (double eps : new double[] {0.5, 1, 2, 4}) {
      sweep.add(condition(eps, Objective.LOGIT_DIVERGE));
    }
    List<TrajectoryPlanner.Plan> shared = TrajectoryPlanner.plan(sweep, true);
    List<TrajectoryPlanner.Plan> separate = TrajectoryPlanner.plan(sweep, false);
    assertThat(shared).hasSize(1);
    assertThat(shared.get(0).steps()).isEqualTo(8);
    assertThat(separate).hasSize(4);
    // Passes per image: shared 8 backward + 9 forward; separate (1+2+4+8) backward + 19 forward.
    assertThat(shared.stream().mapToInt(TrajectoryPlanner.Plan::steps).sum()).isEqualTo(8);
    assertThat(separate.stream().mapToInt(TrajectoryPlanner.Plan::steps).sum()).isEqualTo(15);

    List<Integer> present = List.of(2, 6, 9);
    List<Trajectory> sharedBatch = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      sharedBatch.add(trajectory(shared.get(0), i, present));
    }
    List<AscentResult> sharedResults = ascent.run(sharedBatch);
    for (int c = 0; c < separate.size(); c++) {
      List<Trajectory> own = new ArrayList<>();
      for (int i = 0; i < images.size(); i++) {
        own.add(trajectory(separate.get(c), i, present));
      }
      List<AscentResult> ownResults = ascent.run(own);
      for (int i = 0; i < images.size(); i++) {
        String id = separate.get(c).outputs().get(0).conditionId();
        int o =
            shared.get(0).outputs().stream()
                .map(Trajectory.Output::conditionId)
                .toList()
                .indexOf(id);
        float[] shared1 = sharedResults.get(i).best().get(o);
        float[] own1 = ownResults.get(i).best().get(0);
        assertThat(sharedResults.get(i).bestStep().get(o))
            .isEqualTo(ownResults.get(i).bestStep().get(0));
        if (separate.get(c).steps() >= 2) {
          // From step 2 on, ||x_t - x0|| <= step * t stays a whole step inside eps: the projection
          // cannot bind in either run and the iterates are bit-identical.
          assertThat(shared1).as("%s image %d", id, i).isEqualTo(own1);
        } else {
          // One step of exactly eps: float rounding may put ||delta|| an ulp over eps, and the
          // separate run then rescales by eps / (norm + 1e-7), i.e. by < 1e-6.
          for (int p = 0; p < own1.length; p++) {
            assertThat(shared1[p]).as("%s image %d", id, i).isCloseTo(own1[p], offset(1e-6f));
          }
        }
      }
    }
  }

  @Test
  void shouldGiveTheProjectableConditionItsOwnTrajectory() {
    List<EnhancementCondition> sweep =
        List.of(
            condition(0.25, Objective.LOGIT_DIVERGE),
            condition(8, Objective.LOGIT_DIVERGE),
            condition(4, Objective.LOGIT_DIVERGE),
            condition(4, Objective.LOGIT));
    List<TrajectoryPlanner.Plan> plans = TrajectoryPlanner.plan(sweep, true);
    // 0.25 (0.5 x 1 > 0.25) alone; 4 and 8 diverge share; 4 logit alone.
    assertThat(plans).hasSize(3);
    assertThat(plans)
        .anySatisfy(
            p ->
                assertThat(p.outputs())
                    .extracting(Trajectory.Output::conditionId)
                    .containsExactlyInAnyOrder("8_0.5_16_logit_diverge", "4_0.5_8_logit_diverge"));
  }

  private static Trajectory trajectory(TrajectoryPlanner.Plan plan, int i, List<Integer> present) {
    return new Trajectory(
        images.get(i),
        LABELS[i],
        plan.objective(),
        plan.stepSize(),
        plan.attack(),
        plan.eps(),
        TrajectoryPlanner.divergeSet(plan, LABELS[i], present),
        plan.outputs());
  }

  /** A plain condition with the published step count 2·eps and its id as the pipeline writes it. */
  private static EnhancementCondition condition(double eps, Objective objective) {
    int steps = Math.max(1, (int) Math.rint(2 * eps));
    String id =
        BigDecimal.valueOf(eps).stripTrailingZeros().toPlainString()
            + "_0.5_"
            + steps
            + "_"
            + objective.name().toLowerCase(Locale.ROOT);
    return EnhancementCondition.plain(id, eps, 0.5, steps, objective);
  }

  private static double crossEntropy(float[] logits, int label) {
    double max = Double.NEGATIVE_INFINITY;
    for (float z : logits) {
      max = Math.max(max, z);
    }
    double sum = 0;
    for (float z : logits) {
      sum += Math.exp(z - max);
    }
    return max + Math.log(sum) - logits[label];
  }
}
