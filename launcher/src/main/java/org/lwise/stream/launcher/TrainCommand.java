package org.lwise.stream.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.lwise.stream.method.ModelCard;
import org.lwise.stream.method.RobustClassifier;
import org.lwise.stream.trainer.AdversarialTrainer;
import org.lwise.stream.trainer.LabeledImages;
import org.lwise.stream.trainer.ModelEvaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lwise train}: adversarial training or fine-tuning of a TorchScript model from a dirmap's
 * {@code train} split, evaluated on its {@code val} split; writes TorchScript and a model card the
 * gpu-worker loads unchanged. {@code --eps 0} trains a standard model.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description =
        "Adversarially train (or fine-tune) a TorchScript classifier from a dirmap; --eps 0 for standard training.")
public final class TrainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--dirmap", required = true, description = "dirmap with train (and val) rows")
  Path dirmap;

  @Option(
      names = "--init",
      required = true,
      description = "model card of the starting TorchScript model (untrained or pretrained)")
  Path init;

  @Option(
      names = "--out",
      required = true,
      description = "folder for the trained model, its card and checkpoints")
  Path out;

  @Option(names = "--id", description = "model id (default: the output folder's name)")
  String id;

  @Option(names = "--epochs", defaultValue = "10")
  int epochs;

  @Option(names = "--batch-size", defaultValue = "64")
  int batchSize;

  @Option(
      names = "--lr",
      defaultValue = "0.05",
      description = "learning rate (default ${DEFAULT-VALUE})")
  float lr;

  @Option(names = "--momentum", defaultValue = "0.9")
  float momentum;

  @Option(names = "--weight-decay", defaultValue = "5e-4")
  float weightDecay;

  @Option(
      names = "--lr-drops",
      split = ",",
      description = "epochs after which the learning rate is multiplied by --lr-factor")
  int[] lrDrops = new int[0];

  @Option(names = "--lr-factor", defaultValue = "0.1")
  float lrFactor;

  @Option(
      names = "--eps",
      defaultValue = "1.0",
      description = "L2 training budget; 0 = standard training (default ${DEFAULT-VALUE})")
  double eps;

  @Option(names = "--attack-steps", defaultValue = "5")
  int attackSteps;

  @Option(names = "--attack-step-size", description = "default 2.5 * eps / attack steps")
  Double attackStepSize;

  @Option(
      names = "--random-start",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "PGD starts at a random point of the eps sphere (default on; --no-random-start to start at x0)")
  boolean randomStart;

  @Option(names = "--label-column", defaultValue = "class_num")
  String labelColumn;

  @Option(
      names = "--max-train",
      defaultValue = "0",
      description = "use at most this many train images (0 = all)")
  int maxTrain;

  @Option(
      names = "--max-val",
      defaultValue = "2000",
      description = "evaluate on at most this many val images (0 = all)")
  int maxVal;

  @Option(
      names = "--eval-steps",
      defaultValue = "20",
      description = "PGD steps of the final evaluation")
  int evalSteps;

  @Option(names = "--seed", defaultValue = "0")
  long seed;

  @Option(names = "--resume", description = "continue from the last checkpoint in --out")
  boolean resume;

  @Override
  public Integer call() throws Exception {
    Path checkpoints = out.resolve("checkpoints");
    String modelId = id != null ? id : out.toAbsolutePath().normalize().getFileName().toString();
    ModelCard initCard = ModelCard.read(init);
    int firstEpoch = 1;
    Path start = init;
    if (resume && Files.exists(checkpoints.resolve(ModelCard.FILE_NAME))) {
      ModelCard last = ModelCard.read(checkpoints);
      firstEpoch = ((Number) last.training().get("epoch")).intValue() + 1;
      start = checkpoints;
      System.err.println(
          "Resuming after epoch "
              + (firstEpoch - 1)
              + " from "
              + checkpoints.resolve(last.file())
              + " (optimizer momentum restarts)");
    }
    double stepSize =
        attackStepSize != null ? attackStepSize : eps > 0 ? 2.5 * eps / attackSteps : 0;
    AdversarialTrainer.Settings settings =
        new AdversarialTrainer.Settings(
            epochs,
            batchSize,
            lr,
            momentum,
            weightDecay,
            lrDrops,
            lrFactor,
            eps,
            attackSteps,
            stepSize,
            randomStart,
            seed);
    System.err.println("Loading the train split of " + dirmap + " ...");
    LabeledImages train =
        LabeledImages.load(dirmap, "train", labelColumn, initCard.inputSize(), maxTrain, seed);
    System.err.printf(
        "%d train images%s; %s training, eps %s%n",
        train.size(),
        train.skipped() > 0 ? " (" + train.skipped() + " skipped)" : "",
        eps > 0 ? "adversarial" : "standard",
        eps);
    try (RobustClassifier model = RobustClassifier.load(start)) {
      AdversarialTrainer trainer = new AdversarialTrainer(model);
      Files.createDirectories(checkpoints);
      int stepsPerEpoch = Math.max(1, train.size() / batchSize);
      final int from = firstEpoch;
      double[] losses;
      try (ProgressBar bar =
          new ProgressBarBuilder()
              .setTaskName("Training")
              .setStyle(ProgressBarStyle.ASCII)
              .setInitialMax((long) (epochs - from + 1) * stepsPerEpoch)
              .setUpdateIntervalMillis(1000)
              .build()) {
        losses =
            trainer.train(
                train,
                settings,
                firstEpoch,
                checkpoints,
                new AdversarialTrainer.Listener() {
                  @Override
                  public void batch(int epoch, int step, int steps, double loss, double accuracy) {
                    bar.step();
                    bar.setExtraMessage(
                        String.format(
                            " epoch %d/%d loss %.3f acc %.3f", epoch, epochs, loss, accuracy));
                  }

                  @Override
                  public void epochDone(int epoch, Path checkpoint) {
                    Map<String, Object> state = new LinkedHashMap<>(initCard.training());
                    state.put("epoch", epoch);
                    new ModelCard(
                            modelId + "-epoch-" + epoch,
                            checkpoint.getFileName().toString(),
                            initCard.inputSize(),
                            initCard.mean(),
                            initCard.std(),
                            initCard.numClasses(),
                            initCard.classNames(),
                            eps > 0,
                            state)
                        .write(checkpoints);
                  }
                });
      }
      Path modelFile = out.resolve(modelId + ".pt");
      trainer.save(modelFile);

      Map<String, Object> training = new LinkedHashMap<>();
      training.put("data", dirmap.toString() + " (train split, " + train.size() + " images)");
      training.put("command", commandLine());
      training.put("epochs", epochs);
      training.put("eps", eps);
      training.put("attack_steps", attackSteps);
      training.put("attack_step_size", stepSize);
      training.put("first_epoch_loss", losses[0]);
      training.put("last_epoch_loss", losses[1]);
      double evalEps = eps > 0 ? eps : 1.0;
      try {
        LabeledImages val =
            LabeledImages.load(dirmap, "val", labelColumn, initCard.inputSize(), maxVal, seed);
        System.err.println(
            "Evaluating on "
                + val.size()
                + " val images (PGD eps "
                + evalEps
                + ", "
                + evalSteps
                + " steps) ...");
        ModelEvaluator.Evaluation e =
            EvaluateCommand.evaluate(
                model, val, evalEps, evalSteps, 2.5 * evalEps / evalSteps, seed);
        training.put("val_images", val.size());
        training.put("clean_val_accuracy", round(e.cleanAccuracy()));
        training.put("adversarial_val_accuracy", round(e.adversarialAccuracy()));
        training.put(
            "adversarial_eval",
            Map.of("eps", evalEps, "steps", evalSteps, "step_size", 2.5 * evalEps / evalSteps));
        System.out.printf(
            "clean val accuracy %.4f, under L2 PGD (eps %s, %d steps) %.4f%n",
            e.cleanAccuracy(), evalEps, evalSteps, e.adversarialAccuracy());
      } catch (IllegalArgumentException noVal) {
        training.put("note", "no val split to evaluate on: " + noVal.getMessage());
      }
      new ModelCard(
              modelId,
              modelFile.getFileName().toString(),
              initCard.inputSize(),
              initCard.mean(),
              initCard.std(),
              initCard.numClasses(),
              initCard.classNames(),
              eps > 0,
              training)
          .write(out);
      System.out.println("Wrote " + modelFile + " and " + out.resolve(ModelCard.FILE_NAME));
    }
    return 0;
  }

  /** The command as the user typed it (picocli keeps the original arguments). */
  String commandLine() {
    List<String> args = spec.commandLine().getParseResult().originalArgs();
    // Through `lwise`, the list is the whole line, this command's name included.
    int name = spec.parent() == null ? -1 : args.indexOf(spec.name());
    return Stream.concat(
            Stream.of("lwise", spec.name()), args.subList(name + 1, args.size()).stream())
        .map(
            arg ->
                arg.isEmpty() || arg.matches(".*[\\s'\"].*")
                    ? "'" + arg.replace("'", "'\\''") + "'"
                    : arg)
        .collect(Collectors.joining(" "));
  }

  private static double round(double value) {
    return Math.round(value * 10000) / 10000.0;
  }
}
