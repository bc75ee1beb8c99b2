package org.lwise.stream.trainer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lwise.stream.method.AscentResult;
import org.lwise.stream.method.L2ProjectedAscent;
import org.lwise.stream.method.Objective;
import org.lwise.stream.method.RobustClassifier;
import org.lwise.stream.method.Trajectory;

/**
 * The adversary of robust training and evaluation: L2 PGD ascending the cross-entropy within eps,
 * from a seeded random start, keeping the strongest iterate. It is the same loop as enhancement
 * ({@link L2ProjectedAscent}, attack flag set), so there is one implementation of the method.
 */
public final class L2PgdAttack {
  private final L2ProjectedAscent ascent;
  private final double eps;
  private final int steps;
  private final double stepSize;
  private final boolean randomStart;

  public L2PgdAttack(
      RobustClassifier model, double eps, int steps, double stepSize, boolean randomStart) {
    this.ascent = new L2ProjectedAscent(model);
    this.eps = eps;
    this.steps = steps;
    this.stepSize = stepSize;
    this.randomStart = randomStart;
  }

  /** Adversarial versions of a CHW batch, same layout. */
  public float[] perturb(float[] batch, int[] labels, int pixels, long seed) {
    List<Trajectory> trajectories = new ArrayList<>(labels.length);
    for (int i = 0; i < labels.length; i++) {
      float[] x0 = Arrays.copyOfRange(batch, i * pixels, (i + 1) * pixels);
      trajectories.add(
          new Trajectory(
              x0,
              labels[i],
              Objective.CROSS_ENTROPY,
              stepSize,
              true,
              eps,
              List.of(),
              List.of(new Trajectory.Output("pgd", steps)),
              randomStart ? seed * 1_000_003L + i : null));
    }
    List<AscentResult> results = ascent.run(trajectories);
    float[] out = new float[batch.length];
    for (int i = 0; i < labels.length; i++) {
      System.arraycopy(results.get(i).best().get(0), 0, out, i * pixels, pixels);
    }
    return out;
  }
}
