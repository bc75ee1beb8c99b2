package org.lwise.stream.trainer;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.lwise.stream.method.RobustClassifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adversarial training (Madry et al.) of a TorchScript classifier with DJL: for each batch an L2
 * PGD adversary ({@link L2PgdAttack}) runs with the model in eval mode and frozen weights, then one
 * SGD step (momentum, weight decay, step learning-rate schedule) on the adversarial batch in train
 * mode. With eps = 0 it is standard training. The mode is set explicitly before each phase: DJL
 * only switches a module's mode when its own flag changes (STACK.md).
 */
public final class AdversarialTrainer {
  private static final Logger log = LoggerFactory.getLogger(AdversarialTrainer.class);

  /**
   * Training settings; {@code lrDrops} are epochs after which the learning rate is multiplied by
   * {@code lrFactor}.
   */
  public record Settings(
      int epochs,
      int batchSize,
      float learningRate,
      float momentum,
      float weightDecay,
      int[] lrDrops,
      float lrFactor,
      double eps,
      int attackSteps,
      double attackStepSize,
      boolean randomStart,
      long seed) {
    public Settings {
      if (epochs < 1 || batchSize < 1) {
        throw new IllegalArgumentException("epochs and batch size must be >= 1");
      }
      if (eps < 0 || (eps > 0 && attackSteps < 1)) {
        throw new IllegalArgumentException("eps must be >= 0, with attack steps >= 1 when eps > 0");
      }
    }
  }

  /** Receives progress: running loss and accuracy (on the adversarial batches when eps > 0). */
  public interface Listener {
    void batch(int epoch, int step, int stepsPerEpoch, double loss, double accuracy);

    void epochDone(int epoch, Path checkpoint);
  }

  private final RobustClassifier model;

  public AdversarialTrainer(RobustClassifier model) {
    this.model = model;
  }

  /**
   * Trains from {@code firstEpoch} (> 1 when resuming) to {@code settings.epochs()}, writing a
   * TorchScript checkpoint after every epoch into {@code checkpoints}.
   *
   * @return the mean training loss of the first and of the last epoch run
   */
  public double[] train(
      LabeledImages data, Settings settings, int firstEpoch, Path checkpoints, Listener listener) {
    int n = data.size();
    int size = data.imageSize();
    int pixels = 3 * size * size;
    int stepsPerEpoch = Math.max(1, n / settings.batchSize());
    int done = (firstEpoch - 1) * stepsPerEpoch;
    Tracker lr = learningRate(settings, stepsPerEpoch, done);
    Model djl = model.model();
    L2PgdAttack attack =
        settings.eps() > 0
            ? new L2PgdAttack(
                model,
                settings.eps(),
                settings.attackSteps(),
                settings.attackStepSize(),
                settings.randomStart())
            : null;
    // The model's own device only: DJL would otherwise split batches over every GPU it sees.
    DefaultTrainingConfig config =
        new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
            .optDevices(new Device[] {model.device()})
            .optOptimizer(
                Optimizer.sgd()
                    .setLearningRateTracker(lr)
                    .optMomentum(settings.momentum())
                    .optWeightDecays(settings.weightDecay())
                    .build());
    double firstLoss = Double.NaN;
    double lastLoss = Double.NaN;
    LabeledImages.ensureFolder(checkpoints);
    try (Trainer trainer = djl.newTrainer(config)) {
      for (int epoch = firstEpoch; epoch <= settings.epochs(); epoch++) {
        int[] order = permutation(n, new Random(settings.seed() * 31 + epoch));
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        for (int step = 0; step < stepsPerEpoch; step++) {
          int[] idx =
              Arrays.copyOfRange(
                  order, step * settings.batchSize(), (step + 1) * settings.batchSize());
          int[] labels = new int[idx.length];
          for (int i = 0; i < idx.length; i++) {
            labels[i] = data.label(idx[i]);
          }
          float[] x = data.batch(idx);
          if (attack != null) {
            model.frozenEvalMode();
            x =
                attack.perturb(
                    x, labels, pixels, settings.seed() + (long) epoch * stepsPerEpoch + step);
          }
          model.trainingMode();
          try (NDManager scope = djl.getNDManager().newSubManager()) {
            NDArray input = scope.create(x, new Shape(idx.length, 3, size, size));
            NDArray target = scope.create(labels).toType(DataType.INT64, false);
            NDList predictions;
            NDArray loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
              predictions = trainer.forward(new NDList(model.normalize(input)));
              loss = trainer.getLoss().evaluate(new NDList(target), predictions);
              collector.backward(loss);
            }
            trainer.step();
            lossSum += loss.getFloat() * idx.length;
            correct +=
                predictions
                    .singletonOrThrow()
                    .argMax(1)
                    .toType(DataType.INT64, false)
                    .eq(target)
                    .sum()
                    .getLong();
            seen += idx.length;
          }
          listener.batch(epoch, step + 1, stepsPerEpoch, lossSum / seen, (double) correct / seen);
        }
        double epochLoss = lossSum / seen;
        if (epoch == firstEpoch) {
          firstLoss = epochLoss;
        }
        lastLoss = epochLoss;
        Path checkpoint = checkpoints.resolve("epoch-" + epoch + ".pt");
        save(checkpoint);
        log.info(
            "Epoch {}/{}: loss {} accuracy {} -> {}",
            epoch,
            settings.epochs(),
            String.format("%.4f", epochLoss),
            String.format("%.4f", (double) correct / seen),
            checkpoint);
        listener.epochDone(epoch, checkpoint);
      }
    } finally {
      model.frozenEvalMode();
    }
    return new double[] {firstLoss, lastLoss};
  }

  /**
   * Writes the module as plain TorchScript (loadable by torch.jit.load and by the gpu-worker), in
   * eval mode.
   */
  public void save(Path file) {
    model.writeTorchScript(file);
  }

  /**
   * Step schedule: the base rate, multiplied by the factor at each drop (counted in updates from
   * now).
   */
  static Tracker learningRate(Settings s, int stepsPerEpoch, int alreadyDone) {
    // Drops already passed (when resuming) are folded into the base value.
    float start = s.learningRate();
    List<Integer> remaining = new ArrayList<>();
    for (int dropEpoch : s.lrDrops()) {
      int update = dropEpoch * stepsPerEpoch - alreadyDone;
      if (update <= 0) {
        start *= s.lrFactor();
      } else {
        remaining.add(update);
      }
    }
    float base = start;
    float factor = s.lrFactor();
    // DJL's MultiFactorTracker refuses a single step, so the schedule is written out here.
    return numUpdate -> {
      float value = base;
      for (int drop : remaining) {
        if (numUpdate >= drop) {
          value *= factor;
        }
      }
      return value;
    };
  }

  private static int[] permutation(int n, Random random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }
}
