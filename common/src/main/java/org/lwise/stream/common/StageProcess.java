package org.lwise.stream.common;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs a stage on the calling thread until the JVM is asked to stop (Ctrl-C, SIGTERM), then stops
 * it cleanly.
 */
public final class StageProcess {
  /**
   * Longest a stopping stage gets to finish its batch and close its clients before the JVM halts.
   */
  private static final long CLOSE_WAIT_SECONDS = 20;

  private StageProcess() {}

  /**
   * @param run the stage's loop; returns once {@code stop} has been called
   * @param stop asks the loop to return (called from the shutdown hook)
   * @param close releases the stage's clients after the loop returned
   */
  public static void runUntilStopped(
      String name, Runnable run, Runnable stop, AutoCloseable close) {
    // The hook waits for the stage to have closed, not for the main thread to end: the main thread
    // may go on to call System.exit, which blocks while hooks run (waiting for it would deadlock).
    CountDownLatch closed = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              stop.run();
              try {
                closed.await(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            name + "-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try (close) {
      run.run();
    } catch (Exception e) {
      throw e instanceof RuntimeException re
          ? re
          : new IllegalStateException(name + " failed to close", e);
    } finally {
      closed.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running: it returns now that the stage is closed.
      }
    }
  }
}
