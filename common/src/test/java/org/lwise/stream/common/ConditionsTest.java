package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.Objective;

class ConditionsTest {
  @Test
  void shouldNameConditionsAsTheReferenceDoes() {
    assertThat(Conditions.id(8, 0.5, 16, Objective.LOGIT_DIVERGE, List.of(), false))
        .isEqualTo("8_0.5_16_logit_diverge");
    assertThat(Conditions.id(0.25, 0.5, 1, Objective.LOGIT_DIVERGE, List.of(), false))
        .isEqualTo("0.25_0.5_1_logit_diverge");
    assertThat(Conditions.id(10, 0.5, 20, Objective.CROSS_ENTROPY, List.of(), true))
        .isEqualTo("10_0.5_20_cross_entropy_attack");
    assertThat(Conditions.id(2, 1, 4, Objective.LOGIT_DIVERGE, List.of(3, 5), false))
        .isEqualTo("2_1_4_logit_diverge_from_3_5");
  }

  @Test
  void shouldDefaultToThePublishedStepCountRoundingHalfToEven() {
    assertThat(Conditions.defaultSteps(0.25)).isEqualTo(1); // max(1, round(0.5) = 0)
    assertThat(Conditions.defaultSteps(8)).isEqualTo(16);
    assertThat(Conditions.defaultSteps(1.25)).isEqualTo(2); // round(2.5) = 2 in Python
    assertThat(Conditions.defaultSteps(1.75)).isEqualTo(4); // round(3.5) = 4
    Condition c = Conditions.create(4, 0.5, null, Objective.LOGIT, List.of(), false);
    assertThat(c.getNumSteps()).isEqualTo(8);
    assertThat(c.getId()).isEqualTo("4_0.5_8_logit");
  }

  @Test
  void shouldRefuseNonPositiveBudgets() {
    assertThatThrownBy(() -> Conditions.create(0, 0.5, null, Objective.LOGIT, List.of(), false))
        .hasMessageContaining("eps must be > 0");
    assertThatThrownBy(() -> Conditions.create(1, -1, null, Objective.LOGIT, List.of(), false))
        .hasMessageContaining("step size");
  }

  @Test
  void shouldNameMultiViewAndRandomStartVariants() {
    Condition base = Conditions.create(8, 0.5, null, Objective.LOGIT, List.of(), false, true);
    assertThat(base.getId()).isEqualTo("8_0.5_16_logit_randstart");
    assertThat(Conditions.withViews(base, 4, Conditions.DEFAULT_AUG_TYPES).getId())
        .isEqualTo("8_0.5_16_logit_randstart_views4");
    Condition colorOnly = Conditions.withViews(base, 2, List.of("color"));
    assertThat(colorOnly.getId()).isEqualTo("8_0.5_16_logit_randstart_views2_color");
    assertThat(colorOnly.getNumAugs()).isEqualTo(2);
    assertThatThrownBy(() -> Conditions.withViews(base, 4, List.of("blur")))
        .hasMessageContaining("unknown augmentation 'blur'");
  }

  @Test
  void shouldDropRowsOfExplicitDivergeClassesOnly() {
    Condition from = Conditions.create(1, 0.5, null, Objective.LOGIT_DIVERGE, List.of(2), false);
    Condition all = Conditions.create(1, 0.5, null, Objective.LOGIT_DIVERGE, List.of(), false);
    assertThat(Conditions.appliesTo(from, 2)).isFalse();
    assertThat(Conditions.appliesTo(from, 1)).isTrue();
    assertThat(Conditions.appliesTo(all, 2)).isTrue();
  }
}
