package org.lwise.stream.uploader;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.KafkaClients;
import org.lwise.stream.common.ObjectStore;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.S3Clients;
import org.lwise.stream.common.SettingsLoader;
import org.lwise.stream.common.TopicNames;
import org.lwise.stream.common.TopicSetup;
import org.lwise.stream.common.stage.MonitoringSettings;
import org.lwise.stream.common.stage.Stage;
import org.lwise.stream.common.stage.StageActivity;
import org.lwise.stream.common.stage.StageMetrics;
import org.lwise.stream.common.stage.StageRunner;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/** The uploader process: wires clients and runs {@link UploadPipeline} until stopped. */
public final class UploaderApp implements Stage {
  public static final String NAME = "uploader";

  private final UploaderConfig config;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final S3AsyncClient s3;
  private final UploadPipeline pipeline;
  private final StageMetrics metrics;

  public UploaderApp(UploaderConfig config) {
    this(config, StageMetrics.unpublished(NAME));
  }

  /**
   * @param metrics where this uploader records its meters (its Kafka clients' metrics too)
   */
  public UploaderApp(UploaderConfig config, StageMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    String bootstrap = config.connection().bootstrapServers();
    TopicSetup.ensureTopics(bootstrap, config.connection().topicPartitions());
    PipelineTopics topics =
        PipelineTopics.create(new RegistrySerdes(config.connection().registryUrl()));
    this.consumer =
        KafkaClients.readCommittedConsumer(
            bootstrap,
            config.groupId(),
            config
                .connection()
                .stageConsumerSettings(
                    Map.of(
                        "max.poll.records",
                        config.concurrency() * 4,
                        // A batch may wait out an S3 outage of up to retry.timeout.ms before it
                        // commits.
                        "max.poll.interval.ms",
                        KafkaClients.pollIntervalCovering(config.connection().retryTimeout(), 0))));
    this.producer =
        KafkaClients.transactionalProducer(
            bootstrap,
            "lwise-uploader-" + UUID.randomUUID(),
            Map.of("transaction.timeout.ms", KafkaClients.STAGE_TRANSACTION_TIMEOUT_MS));
    metrics.bind(consumer);
    metrics.bind(producer);
    this.s3 = s3Client(config);
    this.pipeline =
        new UploadPipeline(
            config,
            topics,
            consumer,
            producer,
            objectStore(config, s3),
            new InfrastructureRetry(config.connection().retryTimeout()),
            metrics);
  }

  /**
   * The S3 client of an uploader with these settings: up to {@code uploader.concurrency}
   * connections, so that many uploads in flight ({@code lwise bench-upload} measures with it too).
   */
  public static S3AsyncClient s3Client(UploaderConfig config) {
    return S3Clients.create(config.connection(), config.concurrency());
  }

  /**
   * How an uploader with these settings puts objects through {@code s3} (ACL, HEAD first or not).
   */
  public static ObjectStore objectStore(UploaderConfig config, S3AsyncClient s3) {
    return new ObjectStore(s3, config.connection().s3PublicRead(), config.checkExisting());
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void run() {
    pipeline.run();
  }

  @Override
  public void stop() {
    pipeline.stop();
  }

  /** Consuming with partitions of the output-images topic assigned. */
  @Override
  public boolean isReady() {
    return pipeline.assignedPartitions() > 0;
  }

  @Override
  public String describe() {
    String endpoint = config.connection().s3Endpoint();
    return "consuming "
        + TopicNames.ENHANCED
        + " (group "
        + config.groupId()
        + ", "
        + pipeline.assignedPartitions()
        + " partitions), uploading to "
        + (endpoint == null || endpoint.isEmpty() ? "AWS S3" : endpoint)
        + " with "
        + config.concurrency()
        + " concurrent uploads"
        + (config.localDir() == null
            ? ""
            : ", copies under " + config.localDir().toAbsolutePath().normalize());
  }

  @Override
  public StageActivity activity() {
    return metrics;
  }

  @Override
  public void close() {
    consumer.close();
    producer.close();
    s3.close();
    metrics.close();
  }

  /**
   * {@code java ... UploaderApp [settings.properties]}: what {@code lwise uploader --config FILE}
   * does.
   */
  public static void main(String[] args) {
    Map<String, String> settings =
        SettingsLoader.forStage(List.of(UploaderConfig.DEFINITION, MonitoringSettings.DEFINITION))
            .load(args.length > 0 ? Path.of(args[0]) : null, System.getenv());
    System.exit(runProcess(settings));
  }

  /**
   * Runs an uploader as this process until Ctrl-C or SIGTERM ({@link StageRunner}); returns the
   * exit code.
   */
  public static int runProcess(Map<String, String> settings) {
    return new StageRunner(System.out, System.err)
        .runProcess(
            NAME, settings, metrics -> new UploaderApp(UploaderConfig.from(settings), metrics));
  }
}
