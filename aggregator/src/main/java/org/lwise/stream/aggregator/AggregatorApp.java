package org.lwise.stream.aggregator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.lwise.stream.aggregator.api.LiveDifficultyApi;
import org.lwise.stream.common.ConfigSources;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.S3Clients;
import org.lwise.stream.common.StageProcess;
import org.lwise.stream.common.TopicSetup;
import org.lwise.stream.common.ValueSerdes;
import org.lwise.stream.schema.JobEvent;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.RowState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/** The aggregator process: builds the topology, starts Kafka Streams and answers store queries. */
public final class AggregatorApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AggregatorApp.class);

  /**
   * Longest close waits for Kafka Streams to commit and release its clients (SIGTERM to exit: a few
   * seconds).
   */
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final KafkaStreams streams;
  private final LiveDifficultyApi api;
  private final S3AsyncClient s3;
  private final StreamsLifecycle lifecycle = new StreamsLifecycle();
  private final PipelineTopics topics;
  private final String bootstrapServers;

  public AggregatorApp(AggregatorConfig config) {
    TopicSetup.ensureTopics(
        config.connection().bootstrapServers(), config.connection().topicPartitions());
    InfrastructureRetry retry = new InfrastructureRetry(config.connection().retryTimeout());
    ValueSerdes serdes =
        new RetryingValueSerdes(new RegistrySerdes(config.connection().registryUrl()), retry);
    this.topics = PipelineTopics.create(serdes);
    this.bootstrapServers = config.connection().bootstrapServers();
    this.s3 = config.uploadDirmaps() ? S3Clients.create(config.connection(), 4) : null;
    DirmapSink sink =
        new DirmapSink(
            config.outputDir(),
            s3,
            config.connection().s3Layout(),
            config.connection().s3PublicRead(),
            retry);
    AggregatorTopology.InternalSerdes internal =
        new AggregatorTopology.InternalSerdes(
            serdes.value(JobEvent.class),
            serdes.value(RowState.class),
            serdes.value(JobProgress.class));
    // The API listens first: its port (any free one when api.port is 0) is this instance's
    // application.server, which the other instances forward requests to.
    this.api = config.api().enabled() ? new LiveDifficultyApi(config.api()) : null;
    try {
      this.streams =
          new KafkaStreams(
              AggregatorTopology.build(topics, internal, sink, config.watchInterval()),
              config.streamsProperties(api == null ? null : api.applicationServer()));
    } catch (RuntimeException e) {
      if (api != null) {
        api.close();
      }
      throw e;
    }
    streams.setUncaughtExceptionHandler(
        error -> {
          log.error(
              "Aggregator stopped by an unexpected error; fix the cause and restart (state resumes from Kafka)",
              error);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    streams.setStateListener(lifecycle);
  }

  /** Starts and waits until the app is RUNNING; throws if it fails or times out first. */
  public void start(Duration timeout) throws InterruptedException {
    streams.start();
    lifecycle.awaitRunning(timeout);
    if (api != null) {
      api.attach(streams, bootstrapServers, topics);
      log.info("Live difficulty API: {}", api.url());
    }
  }

  /** The API's root URL, or null when it is off. */
  public String apiUrl() {
    return api == null ? null : api.url();
  }

  /**
   * Waits until Kafka Streams has stopped: returns after {@link #stop()} or {@link #close()},
   * throws when it failed.
   */
  public void awaitTermination() throws InterruptedException {
    lifecycle.awaitStopped();
  }

  /**
   * Asks Kafka Streams to stop without waiting ({@link #awaitTermination()} returns once it has).
   */
  public void stop() {
    streams.close(Duration.ZERO);
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  /** Progress of a job on this instance, or null when this instance does not hold it (yet). */
  public JobProgress progress(String jobId) {
    return store(AggregatorTopology.JOBS_STORE).map(s -> (JobProgress) s.get(jobId)).orElse(null);
  }

  /** The live difficulty table: a row's scores and URLs. */
  public RowState row(String jobId, long rowIndex) {
    return store(AggregatorTopology.ROWS_STORE)
        .map(s -> (RowState) s.get(RecordKeys.row(jobId, rowIndex)))
        .orElse(null);
  }

  @SuppressWarnings("unchecked")
  private <V> java.util.Optional<ReadOnlyKeyValueStore<String, V>> store(String name) {
    try {
      return java.util.Optional.of(
          streams.store(
              StoreQueryParameters.fromNameAndType(
                  name, QueryableStoreTypes.<String, V>keyValueStore())));
    } catch (InvalidStateStoreException rebalancing) {
      return java.util.Optional.empty();
    }
  }

  @Override
  public void close() {
    if (api != null) {
      api.close();
    }
    streams.close(CLOSE_TIMEOUT);
    if (s3 != null) {
      s3.close();
    }
  }

  public static void main(String[] args) {
    runUntilStopped(
        ConfigSources.merge(args.length > 0 ? Path.of(args[0]) : null, System.getenv(), Map.of()));
  }

  /**
   * Runs until the JVM is asked to stop (Ctrl-C, SIGTERM: returns) or Kafka Streams fails (throws,
   * so {@code lwise aggregator} exits non-zero and a supervisor's {@code restart: on-failure}
   * fires).
   */
  public static void runUntilStopped(Map<String, String> props) {
    AggregatorApp app = new AggregatorApp(AggregatorConfig.from(props));
    StageProcess.runUntilStopped(
        "lwise-aggregator",
        () -> {
          try {
            app.start(Duration.ofMinutes(2));
            app.awaitTermination();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
          }
        },
        app::stop,
        app);
  }
}
