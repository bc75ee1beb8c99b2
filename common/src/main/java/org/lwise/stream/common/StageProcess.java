package org.lwise.stream.common;

/** Runs a stage on the calling thread until the JVM is asked to stop (Ctrl-C, SIGTERM), then stops it cleanly. */
public final class StageProcess {
  private StageProcess() {}

  /**
   * @param run the stage's loop; returns once {@code stop} has been called
   * @param stop asks the loop to return (called from the shutdown hook)
   * @param close releases the stage's clients after the loop returned
   */
  public static void runUntilStopped(String name, Runnable run, Runnable stop, AutoCloseable close) {
    Thread main = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.run();
      try {
        main.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, name + "-shutdown"));
    try (close) {
      run.run();
    } catch (Exception e) {
      throw e instanceof RuntimeException re ? re : new IllegalStateException(name + " failed to close", e);
    }
  }
}
