package org.lwise.stream.common.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConsoleActivityTest {
  private static final long SECOND = 1_000_000_000L;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final AtomicLong now = new AtomicLong();
  private final ConsoleActivity console =
      new ConsoleActivity(
          "gpu-worker",
          "images",
          new PrintStream(out, true),
          Duration.ofSeconds(30),
          Duration.ofSeconds(30),
          now::get);

  private void at(long seconds, Map<String, StageActivity.JobCounts> jobs) {
    now.set(seconds * SECOND);
    console.report(() -> jobs);
  }

  @Test
  void shouldPrintJobStartThroughputAndQuietOnce() {
    at(1, Map.of("j1", new StageActivity.JobCounts(10, 0, false)));
    at(31, Map.of("j1", new StageActivity.JobCounts(70, 2, false)));
    at(40, Map.of("j1", new StageActivity.JobCounts(70, 2, false)));
    at(61, Map.of("j1", new StageActivity.JobCounts(70, 2, false)));
    at(75, Map.of("j1", new StageActivity.JobCounts(70, 2, false)));
    assertThat(out.toString().lines())
        .containsExactly(
            "gpu-worker: job j1 started",
            "gpu-worker: 72 images in the last 31 s (2.3/s), 72 since start",
            "gpu-worker: job j1 quiet for 30 s: 70 images done, 2 failed so far");
  }

  @Test
  void shouldPrintFinishedOnceWhenTheStageKnows() {
    at(1, Map.of("j1", new StageActivity.JobCounts(0, 0, false)));
    at(2, Map.of("j1", new StageActivity.JobCounts(5, 1, true)));
    at(3, Map.of("j1", new StageActivity.JobCounts(5, 1, true)));
    assertThat(out.toString().lines())
        .containsExactly(
            "gpu-worker: job j1 started", "gpu-worker: job j1 finished: 5 images done, 1 failed");
  }
}
