package org.lwise.stream.aggregator;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KafkaStreams.State;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows Kafka Streams' state so the process can wait for RUNNING and, later, for the end: a clean
 * stop (NOT_RUNNING) returns, a failure (ERROR, after PENDING_ERROR) throws, so a failed aggregator
 * exits non-zero instead of lingering as a process that does nothing.
 */
final class StreamsLifecycle implements KafkaStreams.StateListener {
  private static final Logger log = LoggerFactory.getLogger(StreamsLifecycle.class);

  private final CompletableFuture<Void> running = new CompletableFuture<>();
  private final CompletableFuture<State> stopped = new CompletableFuture<>();

  @Override
  public void onChange(State next, State previous) {
    if (next == State.RUNNING) {
      running.complete(null);
    } else if (next == State.ERROR) {
      log.error(
          "Aggregator failed: Kafka Streams is in state ERROR (cause logged above); the process exits so it is restarted");
      stopped.complete(next);
    } else if (next == State.NOT_RUNNING) {
      stopped.complete(next);
    }
  }

  /** Waits for RUNNING; throws if Kafka Streams stops or the timeout passes first. */
  void awaitRunning(Duration timeout) throws InterruptedException {
    try {
      CompletableFuture.anyOf(running, stopped).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      throw new IllegalStateException("aggregator did not reach RUNNING within " + timeout);
    }
    if (stopped.isDone()) {
      throw new IllegalStateException(
          "aggregator stopped while starting (state " + stopped.join() + ")");
    }
  }

  /** Waits until Kafka Streams has stopped: returns after a clean stop, throws after a failure. */
  void awaitStopped() throws InterruptedException {
    try {
      if (stopped.get() == State.ERROR) {
        throw new IllegalStateException("aggregator failed: Kafka Streams is in state ERROR");
      }
    } catch (ExecutionException impossible) {
      throw new IllegalStateException(impossible);
    }
  }
}
