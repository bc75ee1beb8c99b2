package org.lwise.stream.trainer;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntConsumer;
import org.lwise.stream.method.RobustClassifier;

/**
 * Clean and adversarial accuracy on a dirmap split, the clean confusion matrix, and how well the
 * ground-truth logit separates correctly from wrongly classified images (AUROC) — the property that
 * makes it a difficulty score.
 */
public final class ModelEvaluator {
  private final RobustClassifier model;

  public ModelEvaluator(RobustClassifier model) {
    this.model = model;
  }

  /** Results; {@code confusion[true][predicted]}. */
  public record Evaluation(
      int images,
      double cleanAccuracy,
      double adversarialAccuracy,
      double eps,
      int steps,
      int[][] confusion,
      double gtLogitAuroc,
      double[] gtLogits,
      boolean[] correct) {}

  public Evaluation evaluate(
      LabeledImages data, double eps, int steps, double stepSize, int batchSize, long seed) {
    return evaluate(data, eps, steps, stepSize, batchSize, seed, done -> {});
  }

  /** As above, reporting the images of each finished batch to {@code progress}. */
  public Evaluation evaluate(
      LabeledImages data,
      double eps,
      int steps,
      double stepSize,
      int batchSize,
      long seed,
      IntConsumer progress) {
    int n = data.size();
    int size = data.imageSize();
    int pixels = 3 * size * size;
    int k = model.card().numClasses();
    int[][] confusion = new int[k][k];
    double[] gtLogits = new double[n];
    boolean[] correct = new boolean[n];
    long cleanCorrect = 0;
    long adversarialCorrect = 0;
    L2PgdAttack attack = eps > 0 ? new L2PgdAttack(model, eps, steps, stepSize, true) : null;
    try (Predictor<float[], float[]> scorer = model.newChwPredictor()) {
      for (int from = 0; from < n; from += batchSize) {
        int[] idx = new int[Math.min(batchSize, n - from)];
        int[] labels = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
          idx[i] = from + i;
          labels[i] = data.label(from + i);
        }
        float[] x = data.batch(idx);
        List<float[]> logits = logits(scorer, x, pixels);
        for (int i = 0; i < idx.length; i++) {
          int predicted = argMax(logits.get(i));
          confusion[labels[i]][predicted]++;
          gtLogits[from + i] = logits.get(i)[labels[i]];
          correct[from + i] = predicted == labels[i];
          cleanCorrect += correct[from + i] ? 1 : 0;
        }
        if (attack != null) {
          float[] adversarial = attack.perturb(x, labels, pixels, seed + from);
          List<float[]> advLogits = logits(scorer, adversarial, pixels);
          for (int i = 0; i < idx.length; i++) {
            adversarialCorrect += argMax(advLogits.get(i)) == labels[i] ? 1 : 0;
          }
        }
        progress.accept(idx.length);
      }
    }
    return new Evaluation(
        n,
        (double) cleanCorrect / n,
        attack == null ? Double.NaN : (double) adversarialCorrect / n,
        eps,
        steps,
        confusion,
        auroc(gtLogits, correct),
        gtLogits,
        correct);
  }

  /** Forward-only logits of a CHW batch: no autograd, no gradient lock. */
  private static List<float[]> logits(Predictor<float[], float[]> scorer, float[] x, int pixels) {
    List<float[]> images = new ArrayList<>();
    for (int from = 0; from < x.length; from += pixels) {
      images.add(Arrays.copyOfRange(x, from, from + pixels));
    }
    try {
      return scorer.batchPredict(images);
    } catch (TranslateException e) {
      throw new IllegalStateException("the model's forward pass failed: " + e.getMessage(), e);
    }
  }

  /**
   * Area under the ROC curve of {@code score} for telling {@code positive} from the rest: the
   * probability that a random positive scores higher than a random negative (ties count half).
   */
  public static double auroc(double[] score, boolean[] positive) {
    Integer[] order = new Integer[score.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> score[i]));
    double rankSum = 0;
    long positives = 0;
    int i = 0;
    while (i < order.length) {
      int j = i;
      while (j + 1 < order.length && score[order[j + 1]] == score[order[i]]) {
        j++;
      }
      double averageRank = (i + j) / 2.0 + 1;
      for (int t = i; t <= j; t++) {
        if (positive[order[t]]) {
          rankSum += averageRank;
          positives++;
        }
      }
      i = j + 1;
    }
    long negatives = score.length - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }

  private static int argMax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
