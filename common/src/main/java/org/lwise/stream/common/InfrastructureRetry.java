package org.lwise.stream.common;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries work that failed because the registry, broker or S3 store could not be reached, with
 * exponential backoff (0.2 s up to 10 s) for at most {@code retry.timeout.ms}. Bad input fails at
 * once. An operator sees one line when an outage starts and one when it ends, not one per try or
 * per call.
 */
public final class InfrastructureRetry {
  private static final Logger log = LoggerFactory.getLogger(InfrastructureRetry.class);

  private final FailsafeExecutor<Object> executor;
  private final Duration timeout;

  /** Set while an outage lasts, so that many calls failing at once log it once. */
  private final AtomicBoolean outage = new AtomicBoolean();

  public InfrastructureRetry(Duration timeout) {
    this.timeout = timeout;
    RetryPolicy<Object> policy =
        RetryPolicy.builder()
            .handleIf(TransientFailures::isTransient)
            .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(10))
            .withJitter(0.1)
            .withMaxRetries(-1)
            .withMaxDuration(timeout)
            .onFailedAttempt(e -> outageStarted(e.getLastException()))
            .onRetriesExceeded(
                e ->
                    log.error(
                        "Infrastructure still unreachable after {} s: {}",
                        timeout.toSeconds(),
                        rootMessage(e.getException())))
            .build();
    this.executor = Failsafe.with(policy).onSuccess(e -> outageEnded());
  }

  private void outageEnded() {
    if (outage.compareAndSet(true, false)) {
      log.info("Infrastructure reachable again");
    }
  }

  private void outageStarted(Throwable error) {
    if (outage.compareAndSet(false, true)) {
      log.warn(
          "Infrastructure unreachable, retrying for up to {} s: {}",
          timeout.toSeconds(),
          rootMessage(error));
    }
  }

  public Duration timeout() {
    return timeout;
  }

  /**
   * Runs {@code work}, retrying it while it fails transiently; other failures are thrown as they
   * are.
   */
  @SuppressWarnings("unchecked")
  public <T> T get(Supplier<T> work) {
    try {
      return (T) executor.get(work::get);
    } catch (FailsafeException wrapped) {
      throw wrapped.getCause() instanceof RuntimeException re ? re : wrapped;
    }
  }

  /** {@link #get} for work without a result. */
  public void run(Runnable work) {
    get(
        () -> {
          work.run();
          return null;
        });
  }

  /**
   * The asynchronous form: {@code work} is started again while it fails transiently (at once, then
   * with backoff). The first attempt runs on the calling thread, as a plain call would; only a
   * failed one is handed to the retry policy's scheduler.
   */
  @SuppressWarnings("unchecked")
  public <T> CompletableFuture<T> getAsync(Supplier<? extends CompletionStage<T>> work) {
    return work.get()
        .toCompletableFuture()
        .exceptionallyCompose(
            error -> {
              Throwable cause =
                  error instanceof CompletionException && error.getCause() != null
                      ? error.getCause()
                      : error;
              if (!TransientFailures.isTransient(cause)) {
                return CompletableFuture.failedFuture(cause);
              }
              outageStarted(cause);
              return (CompletableFuture<T>)
                  executor.getStageAsync(() -> (CompletionStage<Object>) work.get());
            });
  }

  /** The innermost message of an error chain: what an operator needs in one line. */
  public static String rootMessage(Throwable error) {
    Throwable root = error;
    while (root != null && root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == null
        ? "unknown error"
        : root.getClass().getSimpleName() + ": " + root.getMessage();
  }
}
