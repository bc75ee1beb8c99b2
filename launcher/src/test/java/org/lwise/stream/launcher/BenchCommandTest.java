package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The benchmark's output, not its speed: both tables are printed and shared equals separate. */
class BenchCommandTest {
  @Test
  void shouldPrintBothTablesWithSharedAndSeparateResultsAgreeing() {
    CommandRun run =
        CommandRun.of(
            new BenchCommand(),
            "--model",
            "../demo/models/fashion-cnn-robust",
            "--images",
            "../demo/fashion-mnist/images",
            "--count",
            "3",
            "--eps",
            "0.5,1,2",
            "--batch-sizes",
            "1,3");
    String output = run.output();
    assertThat(run.code()).as(output).isZero();
    // eps 0.5/1/2 with steps 1/2/4 share one 4-step trajectory: 7 backward passes separately, 4
    // shared.
    assertThat(output)
        .containsPattern("separate\\s+3\\s+7\\s+10")
        .containsPattern("shared\\s+1\\s+4\\s+5");
    Matcher difference = Pattern.compile("max \\|difference\\| of results (\\S+)").matcher(output);
    assertThat(difference.find()).as(output).isTrue();
    assertThat(Double.parseDouble(difference.group(1))).isLessThan(1e-6);
    assertThat(output)
        .contains("Micro-batching, shared sweep, 3 images")
        .containsPattern("(?m)^1\\s+\\S+\\s+\\S+\\s+1\\.00x$")
        .containsPattern("(?m)^3\\s+");
  }

  @Test
  void shouldNameTheObjectivesWhenGivenAnUnknownOne() {
    CommandRun run = CommandRun.lwise("bench", "--objective", "logits");
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.errors())
        .contains("Invalid value for option '--objective'")
        .contains("LOGIT, CROSS_ENTROPY, LOGIT_DIVERGE")
        .doesNotContain("No enum constant");
  }
}
