package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InfrastructureRetryTest {
  private final InfrastructureRetry retry = new InfrastructureRetry(Duration.ofSeconds(5));

  @Test
  void shouldRetryATransientFailureUntilItPasses() {
    AtomicInteger calls = new AtomicInteger();
    String result =
        retry.get(
            () -> {
              if (calls.incrementAndGet() < 3) {
                throw new UncheckedIOException(new ConnectException("refused"));
              }
              return "done";
            });
    assertThat(result).isEqualTo("done");
    assertThat(calls).hasValue(3);
  }

  @Test
  void shouldFailBadInputAtOnce() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(
            () ->
                retry.get(
                    () -> {
                      calls.incrementAndGet();
                      throw new IllegalArgumentException("not an image");
                    }))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(calls).hasValue(1);
  }

  @Test
  void shouldGiveUpAfterItsTimeoutWithTheLastError() {
    InfrastructureRetry brief = new InfrastructureRetry(Duration.ofMillis(1_000));
    long started = System.nanoTime();
    assertThatThrownBy(
            () ->
                brief.get(
                    () -> {
                      throw new UncheckedIOException(new ConnectException("refused"));
                    }))
        .isInstanceOf(UncheckedIOException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isBetween(Duration.ofMillis(800), Duration.ofSeconds(5));
  }

  @Test
  void shouldStartAnAsynchronousCallOnTheCallersThreadAndRetryItWhenItFailsTransiently() {
    Thread caller = Thread.currentThread();
    AtomicInteger calls = new AtomicInteger();
    Thread[] firstAttempt = new Thread[1];
    CompletableFuture<String> result =
        retry.getAsync(
            () -> {
              if (calls.incrementAndGet() == 1) {
                firstAttempt[0] = Thread.currentThread();
                return CompletableFuture.failedFuture(new ConnectException("refused"));
              }
              return CompletableFuture.completedFuture("stored");
            });
    assertThat(result.join()).isEqualTo("stored");
    assertThat(firstAttempt[0]).isSameAs(caller);
    assertThat(calls).hasValue(2);
  }

  @Test
  void shouldNotRetryAnAsynchronousBadInputFailure() {
    AtomicInteger calls = new AtomicInteger();
    CompletableFuture<String> result =
        retry.getAsync(
            () -> {
              calls.incrementAndGet();
              return CompletableFuture.failedFuture(
                  new IllegalArgumentException("bad bucket name"));
            });
    assertThatThrownBy(result::join)
        .isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(IllegalArgumentException.class);
    assertThat(calls).hasValue(1);
  }
}
