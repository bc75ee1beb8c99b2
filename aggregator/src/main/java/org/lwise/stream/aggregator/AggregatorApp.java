package org.lwise.stream.aggregator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.lwise.stream.common.ConfigSources;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.S3Clients;
import org.lwise.stream.common.TopicSetup;
import org.lwise.stream.schema.JobEvent;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.RowState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/** The aggregator process: builds the topology, starts Kafka Streams and answers store queries. */
public final class AggregatorApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AggregatorApp.class);

  private final KafkaStreams streams;
  private final S3AsyncClient s3;

  public AggregatorApp(AggregatorConfig config) {
    TopicSetup.ensureTopics(config.connection().bootstrapServers(), config.connection().topicPartitions());
    RegistrySerdes serdes = new RegistrySerdes(config.connection().registryUrl());
    PipelineTopics topics = PipelineTopics.create(serdes);
    this.s3 = config.uploadDirmaps() ? S3Clients.create(config.connection(), 4) : null;
    DirmapSink sink = new DirmapSink(config.outputDir(), s3, config.connection().s3Layout(),
        config.connection().s3PublicRead());
    AggregatorTopology.InternalSerdes internal =
        new AggregatorTopology.InternalSerdes(
        serdes.value(JobEvent.class), serdes.value(RowState.class), serdes.value(JobProgress.class));
    this.streams = new KafkaStreams(
        AggregatorTopology.build(topics, internal, sink, config.watchInterval()), config.streamsProperties());
    streams.setUncaughtExceptionHandler(error -> {
      log.error("Aggregator stopped by an unexpected error; fix the cause and restart (state resumes from Kafka)", error);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
  }

  /** Starts and waits until the app is RUNNING. */
  public void start(Duration timeout) throws InterruptedException {
    CountDownLatch running = new CountDownLatch(1);
    streams.setStateListener((next, previous) -> {
      if (next == KafkaStreams.State.RUNNING) {
        running.countDown();
      }
    });
    streams.start();
    if (!running.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("aggregator did not reach RUNNING within " + timeout + " (state " + streams.state() + ")");
    }
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
    return store(AggregatorTopology.ROWS_STORE).map(s -> (RowState) s.get(RecordKeys.row(jobId, rowIndex))).orElse(null);
  }

  @SuppressWarnings("unchecked")
  private <V> java.util.Optional<ReadOnlyKeyValueStore<String, V>> store(String name) {
    try {
      return java.util.Optional.of(streams.store(
          StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>keyValueStore())));
    } catch (InvalidStateStoreException rebalancing) {
      return java.util.Optional.empty();
    }
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
    if (s3 != null) {
      s3.close();
    }
  }

  public static void main(String[] args) throws InterruptedException {
    runUntilStopped(ConfigSources.merge(args.length > 0 ? Path.of(args[0]) : null, System.getenv(), Map.of()));
  }

  /** Runs until the JVM shuts down (Ctrl-C, SIGTERM). */
  public static void runUntilStopped(Map<String, String> props) throws InterruptedException {
    AggregatorApp app = new AggregatorApp(AggregatorConfig.from(props));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      app.close();
      stopped.countDown();
    }, "lwise-aggregator-shutdown"));
    app.start(Duration.ofMinutes(2));
    stopped.await();
  }
}
