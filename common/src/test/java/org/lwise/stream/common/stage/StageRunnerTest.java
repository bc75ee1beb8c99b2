package org.lwise.stream.common.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class StageRunnerTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final StageRunner runner =
      new StageRunner(
          new PrintStream(out, true),
          new PrintStream(err, true),
          Duration.ofSeconds(2),
          Duration.ofSeconds(30),
          Duration.ofSeconds(30));

  /** A stage that becomes ready when told, works until stopped or fails when told. */
  private static final class FakeStage implements Stage {
    final AtomicBoolean ready = new AtomicBoolean();
    final CountDownLatch stopped = new CountDownLatch(1);
    volatile RuntimeException failWith;
    volatile boolean closed;

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public boolean isReady() {
      return ready.get();
    }

    @Override
    public String describe() {
      return "consuming lwise.test (2 partitions)";
    }

    @Override
    public void run() throws Exception {
      while (!stopped.await(20, TimeUnit.MILLISECONDS)) {
        if (failWith != null) {
          throw failWith;
        }
      }
    }

    @Override
    public void stop() {
      stopped.countDown();
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  @Test
  void shouldPrintTheReadyLineOnceAndExitZeroWhenStopped() throws Exception {
    FakeStage stage = new FakeStage();
    stage.ready.set(true);
    Thread stopper =
        new Thread(
            () -> {
              sleep(700);
              stage.stop();
            });
    stopper.start();
    int code = runner.run(stage, "http://127.0.0.1:9400");
    assertThat(code).isEqualTo(StageRunner.STOPPED);
    assertThat(out.toString())
        .isEqualTo(
            "fake ready: consuming lwise.test (2 partitions); metrics http://127.0.0.1:9400/metrics"
                + System.lineSeparator());
    assertThat(stage.closed).isTrue();
  }

  @Test
  void shouldExitOneWithTheCauseInOneLineWhenTheStageFails() {
    FakeStage stage = new FakeStage();
    stage.ready.set(true);
    stage.failWith = new IllegalStateException("S3 unreachable for 600 s");
    assertThat(runner.run(stage, null)).isEqualTo(StageRunner.FAILED);
    assertThat(err.toString())
        .isEqualTo("fake stopped: S3 unreachable for 600 s" + System.lineSeparator());
    assertThat(stage.closed).isTrue();
  }

  @Test
  void shouldStopAndExitThreeWhenNeverReady() {
    FakeStage stage = new FakeStage();
    assertThat(runner.run(stage, null)).isEqualTo(StageRunner.NOT_READY);
    assertThat(err.toString()).contains("fake not ready within 2 s");
    assertThat(out.toString()).isEmpty();
    assertThat(stage.stopped.getCount()).isZero();
  }

  @Test
  void shouldExitOneWhenTheStageCannotBeBuilt() {
    int code =
        runner.runProcess(
            "fake",
            Map.of(),
            metrics -> {
              throw new IllegalArgumentException("no model card at /nowhere");
            });
    assertThat(code).isEqualTo(StageRunner.FAILED);
    assertThat(err.toString())
        .isEqualTo("fake cannot start: no model card at /nowhere" + System.lineSeparator());
  }

  @Test
  void shouldServeMetricsAndHealthWhileTheStageRuns() throws Exception {
    int port = freePort();
    FakeStage stage = new FakeStage();
    HttpClient http = HttpClient.newHttpClient();
    Map<String, Integer> ready = new ConcurrentHashMap<>();
    Thread prober =
        new Thread(
            () -> {
              try {
                awaitAnswer(http, port);
                ready.put("before", get(http, port, "/health/ready").statusCode());
                ready.put("live", get(http, port, "/health/live").statusCode());
                stage.ready.set(true);
                sleep(400);
                ready.put("after", get(http, port, "/health/ready").statusCode());
                HttpResponse<String> metrics = get(http, port, "/metrics");
                ready.put("metrics", metrics.statusCode());
                ready.put(
                    "hasCounter",
                    metrics
                            .body()
                            .contains("lwise_images_done_total{job=\"job-1\",stage=\"fake\"} 3.0")
                        ? 1
                        : 0);
                ready.put("hasJvm", metrics.body().contains("jvm_memory_used_bytes") ? 1 : 0);
              } catch (Exception e) {
                ready.put("error", 1);
              } finally {
                stage.stop();
              }
            });
    prober.start();
    int code =
        runner.runProcess(
            "fake",
            Map.of(MonitoringSettings.PORT, String.valueOf(port)),
            metrics -> {
              metrics.done("job-1", 3);
              return stage;
            });
    prober.join();
    assertThat(code).isEqualTo(StageRunner.STOPPED);
    assertThat(ready)
        .containsEntry("before", 503)
        .containsEntry("live", 200)
        .containsEntry("after", 200)
        .containsEntry("metrics", 200)
        .containsEntry("hasCounter", 1)
        .containsEntry("hasJvm", 1)
        .doesNotContainKey("error");
  }

  private static void awaitAnswer(HttpClient http, int port) throws Exception {
    for (int i = 0; i < 100; i++) {
      try {
        get(http, port, "/health/live");
        return;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
  }

  private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
