package org.lwise.stream.aggregator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.streams.StreamsConfig;
import org.lwise.stream.aggregator.api.ApiSettings;
import org.lwise.stream.common.ConnectionConfig;
import org.lwise.stream.common.KafkaClients;
import org.lwise.stream.common.TopicNames;

/** Configuration of the aggregator (a Kafka Streams application). */
public record AggregatorConfig(
    ConnectionConfig connection,
    String applicationId,
    Path outputDir,
    Path stateDir,
    Duration watchInterval,
    boolean uploadDirmaps,
    ApiSettings api) {

  public static final String APPLICATION_ID = "aggregator.application.id";
  public static final String OUTPUT_DIR = "aggregator.output.dir";
  public static final String STATE_DIR = "aggregator.state.dir";
  public static final String WATCH_INTERVAL_MS = "aggregator.watch.rewrite.interval.ms";
  public static final String UPLOAD_DIRMAPS = "aggregator.upload.dirmaps";

  public static final ConfigDef DEFINITION =
      ApiSettings.define(ConnectionConfig.define(new ConfigDef()))
          .define(
              APPLICATION_ID,
              Type.STRING,
              "lwise-aggregator",
              Importance.MEDIUM,
              "Kafka Streams application id (consumer group and internal topic prefix)")
          .define(
              OUTPUT_DIR,
              Type.STRING,
              "lwise-out",
              Importance.HIGH,
              "folder where output dirmaps are written")
          .define(
              STATE_DIR,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "Kafka Streams state folder; empty = <output dir>/.aggregator-state")
          .define(
              WATCH_INTERVAL_MS,
              Type.LONG,
              5000L,
              ConfigDef.Range.atLeast(100),
              Importance.LOW,
              "how often the dirmaps of open-ended watch jobs are rewritten when rows were added")
          .define(
              UPLOAD_DIRMAPS,
              Type.BOOLEAN,
              true,
              Importance.LOW,
              "also upload each dirmap (CSV, JSON) to S3");

  public static AggregatorConfig from(Map<String, ?> props) {
    AbstractConfig parsed = new AbstractConfig(DEFINITION, props, false);
    Path out = Path.of(parsed.getString(OUTPUT_DIR));
    String state = parsed.getString(STATE_DIR);
    return new AggregatorConfig(
        ConnectionConfig.from(parsed),
        parsed.getString(APPLICATION_ID),
        out,
        state.isBlank() ? out.resolve(".aggregator-state") : Path.of(state),
        Duration.ofMillis(parsed.getLong(WATCH_INTERVAL_MS)),
        parsed.getBoolean(UPLOAD_DIRMAPS),
        ApiSettings.from(parsed));
  }

  /**
   * Kafka Streams settings: exactly-once v2, no record caching (each event updates the table at
   * once).
   */
  public Properties streamsProperties() {
    return streamsProperties(null);
  }

  /**
   * @param applicationServer {@code host:port} of this instance's API, which other instances
   *     forward requests to (null: no API)
   */
  public Properties streamsProperties(String applicationServer) {
    Properties props = new Properties();
    if (applicationServer != null) {
      props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
    }
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, connection.bootstrapServers());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
    // A record that cannot be read (KIP-1034) or whose content makes a processor throw (KIP-1033)
    // is
    // sent, as is, to the aggregator's dead-letter topic with its job and row, and processing goes
    // on; an infrastructure failure that outlived its retries stops the app.
    props.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        BadRecordHandlers.Deserialization.class);
    props.put(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        BadRecordHandlers.Processing.class);
    props.put(
        StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
        TopicNames.AGGREGATOR_DEAD_LETTERS);
    // A registry or S3 call may retry for retry.timeout.ms on the stream thread: neither the group
    // nor the open transaction may time out meanwhile (the broker caps transactions at 15 min).
    long blockedMs = connection.retryTimeout().toMillis() + 60_000;
    props.put(
        StreamsConfig.consumerPrefix("max.poll.interval.ms"),
        KafkaClients.pollIntervalCovering(connection.retryTimeout(), 300_000));
    props.put(
        StreamsConfig.producerPrefix("transaction.timeout.ms"), (int) Math.min(blockedMs, 900_000));
    props.put(StreamsConfig.consumerPrefix("max.partition.fetch.bytes"), 16 * 1024 * 1024);
    return props;
  }
}
