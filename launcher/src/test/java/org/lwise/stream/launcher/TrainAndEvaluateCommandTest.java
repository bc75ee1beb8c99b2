package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.method.ModelCard;
import org.lwise.stream.method.RobustClassifier;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** The train and evaluate commands end to end on the committed demo images and models. */
class TrainAndEvaluateCommandTest {
  @Test
  void shouldTrainAModelWhoseCardTheWorkerLoads(@TempDir Path out) {
    Path model = out.resolve("tiny-robust");
    int code =
        new CommandLine(new TrainCommand())
            .execute(
                "--dirmap",
                "../demo/fashion-mnist/dirmap.csv",
                "--init",
                "../demo/models/fashion-cnn-init",
                "--out",
                model.toString(),
                "--epochs",
                "1",
                "--batch-size",
                "30",
                "--eps",
                "1",
                "--attack-steps",
                "2",
                "--max-train",
                "90",
                "--max-val",
                "30",
                "--eval-steps",
                "2");
    assertThat(code).isZero();
    ModelCard card = ModelCard.read(model);
    assertThat(card.id()).isEqualTo("tiny-robust");
    assertThat(card.robust()).isTrue();
    assertThat(card.training())
        .containsEntry("eps", 1.0)
        .containsKeys("clean_val_accuracy", "adversarial_val_accuracy", "command");
    assertThat(card.training().get("command"))
        .isEqualTo(
            "lwise train --dirmap ../demo/fashion-mnist/dirmap.csv --init "
                + "../demo/models/fashion-cnn-init --out "
                + model
                + " --epochs 1 --batch-size 30 --eps 1 --attack-steps 2 "
                + "--max-train 90 --max-val 30 --eval-steps 2");
    assertThat(model.resolve("checkpoints/epoch-1.pt")).exists();
    try (RobustClassifier loaded = RobustClassifier.load(model)) {
      assertThat(loaded.card().numClasses()).isEqualTo(10);
    }
  }

  @Test
  void shouldRecordTheCommandLineAsTypedThroughLwise() {
    ParseResult parsed =
        Launcher.commandLine()
            .parseArgs("train", "--dirmap", "d.csv", "--init", "i", "--out", "my out", "--eps=0");
    TrainCommand train = (TrainCommand) parsed.subcommand().commandSpec().userObject();
    assertThat(train.commandLine())
        .isEqualTo("lwise train --dirmap d.csv --init i --out 'my out' --eps=0");
  }

  @Test
  void shouldEvaluateACommittedModelAndWriteItsReport(@TempDir Path out) throws Exception {
    CommandRun run =
        CommandRun.of(
            new EvaluateCommand(),
            "--model",
            "../demo/models/fashion-cnn-robust",
            "--dirmap",
            "../demo/fashion-mnist/dirmap.csv",
            "--split",
            "test",
            "--eps",
            "1.5",
            "--steps",
            "5",
            "--out",
            out.toString());
    assertThat(run.code()).isZero();
    assertThat(run.output())
        .contains("fashion-cnn-robust")
        .contains("60 images")
        .contains("clean accuracy");
    Map<?, ?> metrics =
        new ObjectMapper().readValue(out.resolve("metrics.json").toFile(), Map.class);
    assertThat(metrics.get("images")).isEqualTo(60);
    assertThat((Double) metrics.get("clean_accuracy")).isGreaterThan(0.6);
    assertThat((Double) metrics.get("adversarial_accuracy"))
        .isGreaterThan(0.3)
        .isLessThanOrEqualTo((Double) metrics.get("clean_accuracy"));
    assertThat(Files.readAllLines(out.resolve("confusion.csv"))).hasSize(11);
    assertThat(out.resolve("confusion.png")).exists();
  }
}
