package org.lwise.stream.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RandomStartTest {
  @Test
  void shouldStartOnTheEpsSphereReproduciblyFromTheSeed() {
    float[] x0 = new float[3 * 28 * 28];
    Arrays.fill(x0, 0.5f);
    List<Trajectory> batch =
        List.of(
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
    assertThat(Math.sqrt(norm)).isCloseTo(2.0, offset(1e-4));
    assertThat(start[2 * x0.length]).isNotEqualTo(start[0]);
  }
}
