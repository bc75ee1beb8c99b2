package org.lwise.stream.common.stage;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link Stage} as this process, the same way for every stage command: serves metrics and
 * health ({@link StageMonitor}), starts the stage, prints one line once it is ready, reports jobs
 * and throughput while it works, stops it cleanly on Ctrl-C or SIGTERM (shutdown hook), and says
 * how it ended as an exit code: {@link #STOPPED}, {@link #FAILED} or {@link #NOT_READY}.
 */
public final class StageRunner {
  /** Stopped on request (a signal ends the JVM with 128 + signal number whatever this returns). */
  public static final int STOPPED = 0;

  /**
   * Could not start, or failed while working: a supervisor should restart it once the cause is
   * fixed.
   */
  public static final int FAILED = 1;

  /**
   * Started but never became ready (no partitions, Kafka Streams never RUNNING) within the timeout.
   */
  public static final int NOT_READY = 3;

  private static final Logger log = LoggerFactory.getLogger(StageRunner.class);

  /**
   * Longest a stopping stage gets to finish its batch and close its clients before the JVM halts.
   */
  private static final long CLOSE_WAIT_SECONDS = 20;

  private static final long TICK_MS = 250;

  private final PrintStream console;
  private final PrintStream errors;
  private final Duration readyTimeout;
  private final Duration throughputEvery;
  private final Duration quietAfter;

  public StageRunner(PrintStream console, PrintStream errors) {
    this(console, errors, Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(30));
  }

  public StageRunner(
      PrintStream console,
      PrintStream errors,
      Duration readyTimeout,
      Duration throughputEvery,
      Duration quietAfter) {
    this.console = console;
    this.errors = errors;
    this.readyTimeout = readyTimeout;
    this.throughputEvery = throughputEvery;
    this.quietAfter = quietAfter;
  }

  /**
   * Builds the stage from {@code settings} and runs it until stopped.
   *
   * @param create builds the stage around the metrics it records to
   * @return the exit code
   */
  public int runProcess(
      String name, Map<String, String> settings, Function<StageMetrics, Stage> create) {
    StageMonitor monitor;
    try {
      monitor = StageMonitor.start(MonitoringSettings.from(settings));
    } catch (RuntimeException e) {
      return failed(name, "cannot start", e);
    }
    try (monitor;
        StageMetrics metrics = new StageMetrics(monitor.registry(), name)) {
      Stage stage;
      try {
        stage = create.apply(metrics);
      } catch (RuntimeException e) {
        return failed(name, "cannot start", e);
      }
      monitor.addReadinessCheck(stage.name(), stage::isReady);
      return run(stage, monitor.url());
    }
  }

  /**
   * Runs {@code stage} until it is stopped or fails; {@code metricsUrl} (may be null) goes in its
   * ready line.
   */
  public int run(Stage stage, String metricsUrl) {
    AtomicBoolean stopRequested = new AtomicBoolean();
    // The hook waits for the stage to have closed, not for the main thread to end: the main thread
    // may go on to call System.exit, which blocks while hooks run (waiting for it would deadlock).
    CountDownLatch closed = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              stopRequested.set(true);
              stage.stop();
              try {
                closed.await(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "lwise-" + stage.name() + "-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread loop =
        new Thread(
            () -> {
              try {
                stage.run();
              } catch (Throwable e) {
                failure.set(e);
              }
            },
            "lwise-" + stage.name());
    try {
      stage.start();
      loop.start();
      int code = supervise(stage, loop, metricsUrl, stopRequested);
      Throwable failed = failure.get();
      if (code == STOPPED && failed != null) {
        if (stopRequested.get()) {
          // Clients of a stopping process may fail on the way out; the stop was asked for.
          log.info("{} stopped ({})", stage.name(), failed.toString());
          return STOPPED;
        }
        return failed(stage.name(), "stopped", failed);
      }
      return code;
    } catch (Exception e) {
      return stopRequested.get() ? STOPPED : failed(stage.name(), "cannot start", e);
    } finally {
      if (loop.isAlive()) {
        stage.stop();
        join(loop);
      }
      try {
        stage.close();
      } catch (RuntimeException e) {
        log.warn("{} did not close cleanly: {}", stage.name(), e.toString());
      }
      closed.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running: it returns now that the stage is closed.
      }
    }
  }

  /**
   * Watches the loop from the calling thread: ready line, job and throughput lines, ready timeout.
   */
  private int supervise(Stage stage, Thread loop, String metricsUrl, AtomicBoolean stopRequested)
      throws InterruptedException {
    long started = System.nanoTime();
    boolean ready = false;
    ConsoleActivity activity =
        new ConsoleActivity(
            stage.name(), stage.unit(), console, throughputEvery, quietAfter, System::nanoTime);
    long lastReport = 0;
    while (loop.isAlive()) {
      if (!ready && stage.isReady()) {
        ready = true;
        String line =
            stage.name()
                + " ready: "
                + stage.describe()
                + (metricsUrl == null ? "" : "; metrics " + metricsUrl + "/metrics");
        log.info(line);
        console.println(line);
      } else if (!ready
          && !stopRequested.get()
          && System.nanoTime() - started > readyTimeout.toNanos()) {
        String message =
            stage.name() + " not ready within " + readyTimeout.toSeconds() + " s; stopping";
        log.error(message);
        errors.println(message);
        stage.stop();
        join(loop);
        return NOT_READY;
      }
      if (ready && System.nanoTime() - lastReport >= 1_000_000_000L) {
        activity.report(stage.activity());
        lastReport = System.nanoTime();
      }
      loop.join(TICK_MS);
    }
    return STOPPED;
  }

  private int failed(String name, String what, Throwable e) {
    log.error("{} {}", name, what, e);
    errors.println(
        name + " " + what + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
    return FAILED;
  }

  private static void join(Thread loop) {
    try {
      loop.join(TimeUnit.SECONDS.toMillis(CLOSE_WAIT_SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
