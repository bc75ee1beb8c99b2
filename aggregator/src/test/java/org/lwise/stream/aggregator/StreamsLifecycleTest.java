package org.lwise.stream.aggregator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchException;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

class StreamsLifecycleTest {
  final StreamsLifecycle lifecycle = new StreamsLifecycle();

  @Test
  void shouldStopWaitingAndFailWhenKafkaStreamsEntersError() throws Exception {
    lifecycle.onChange(State.RUNNING, State.REBALANCING);
    lifecycle.awaitRunning(Duration.ofSeconds(1));
    CompletableFuture<Throwable> waited = CompletableFuture.supplyAsync(this::awaitStopped);
    lifecycle.onChange(State.PENDING_ERROR, State.RUNNING);
    Thread.sleep(100);
    assertThat(waited).isNotDone();
    lifecycle.onChange(State.ERROR, State.PENDING_ERROR);
    assertThat(waited.get(5, TimeUnit.SECONDS))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ERROR");
  }

  @Test
  void shouldReturnAfterACleanStop() throws Exception {
    CompletableFuture<Throwable> waited = CompletableFuture.supplyAsync(this::awaitStopped);
    lifecycle.onChange(State.PENDING_SHUTDOWN, State.RUNNING);
    lifecycle.onChange(State.NOT_RUNNING, State.PENDING_SHUTDOWN);
    assertThat(waited.get(5, TimeUnit.SECONDS)).isNull();
  }

  @Test
  void shouldNotWaitForRunningAfterAFailureWhileStarting() {
    lifecycle.onChange(State.ERROR, State.PENDING_ERROR);
    assertThat(catchException(() -> lifecycle.awaitRunning(Duration.ofMinutes(1))))
        .hasMessageContaining("stopped while starting");
  }

  private Throwable awaitStopped() {
    try {
      lifecycle.awaitStopped();
      return null;
    } catch (Throwable e) {
      return e;
    }
  }
}
