package org.lwise.stream.method;

/**
 * Difficulty scores from the logits at x0: {@code robust_gt_logit = z[y]} (low = hard), the entropy
 * of softmax(z), the cross-entropy −log softmax(z)[y], and the predicted class. Computed in double
 * from the float logits the model returned.
 */
public final class GroundTruthLogitScorer {
  private GroundTruthLogitScorer() {}

  public record Scores(double gtLogit, double entropy, double crossEntropy, int predicted) {}

  public static Scores score(float[] logits, int label) {
    if (label < 0 || label >= logits.length) {
      throw new IllegalArgumentException(
          "label " + label + " is out of range for a model with " + logits.length + " outputs");
    }
    double max = Double.NEGATIVE_INFINITY;
    int predicted = 0;
    for (int i = 0; i < logits.length; i++) {
      if (logits[i] > max) {
        max = logits[i];
        predicted = i;
      }
    }
    double sum = 0;
    for (float z : logits) {
      sum += Math.exp(z - max);
    }
    double logSumExp = max + Math.log(sum);
    double entropy = 0;
    for (float z : logits) {
      double logP = z - logSumExp;
      entropy -= Math.exp(logP) * logP;
    }
    return new Scores(logits[label], entropy, logSumExp - logits[label], predicted);
  }
}
