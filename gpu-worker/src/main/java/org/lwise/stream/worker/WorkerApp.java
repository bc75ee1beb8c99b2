package org.lwise.stream.worker;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.KafkaClients;
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
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.method.InferenceDevice;
import org.lwise.stream.method.RobustClassifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * One gpu-worker process: loads the model once, joins the consumer group and runs the loop until
 * stopped. Throughput grows by starting more processes (one per device), nothing else.
 */
public final class WorkerApp implements Stage {
  public static final String NAME = "gpu-worker";

  private static final Logger log = LoggerFactory.getLogger(WorkerApp.class);

  private final WorkerConfig config;
  private final RobustClassifier model;
  private final ImageEnhancer enhancer;
  private final ExecutorService codec;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final WorkerPipeline pipeline;
  private final StageMetrics metrics;
  private volatile S3AsyncClient s3;

  public WorkerApp(WorkerConfig config) {
    this(config, StageMetrics.unpublished(NAME));
  }

  /**
   * @param metrics where this worker records its meters (its Kafka clients' metrics too)
   */
  public WorkerApp(WorkerConfig config, StageMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    // The model and its device first: a bad card or a missing GPU fails before any connection is
    // made.
    this.model = RobustClassifier.load(config.modelCard(), InferenceDevice.select(config.device()));
    log.info(
        "Loaded model '{}' ({} classes, input {}px) on {}",
        model.card().id(),
        model.card().numClasses(),
        model.card().inputSize(),
        model.device());
    TopicSetup.ensureTopics(
        config.connection().bootstrapServers(), config.connection().topicPartitions());
    PipelineTopics topics =
        PipelineTopics.create(new RegistrySerdes(config.connection().registryUrl()));
    this.codec =
        Executors.newFixedThreadPool(
            config.codecThreads(),
            r -> {
              Thread t = new Thread(r, "lwise-codec");
              t.setDaemon(true);
              return t;
            });
    String bootstrap = config.connection().bootstrapServers();
    this.consumer =
        KafkaClients.readCommittedConsumer(
            bootstrap,
            config.groupId(),
            config
                .connection()
                .stageConsumerSettings(
                    Map.of(
                        "max.poll.records",
                        Math.max(config.maxBatchSize() * 2, 16),
                        // A batch of enhancements can take minutes on a CPU, and may also
                        // wait out an outage.
                        "max.poll.interval.ms",
                        KafkaClients.pollIntervalCovering(
                            config.connection().retryTimeout(), 900_000))));
    // The model's work happens before a transaction opens; inside one there are only sends and the
    // commit. A short timeout lets the broker abort a killed worker's open transaction quickly, so
    // read_committed readers of the job wait seconds, not 15 minutes.
    this.producer =
        KafkaClients.transactionalProducer(
            bootstrap,
            "lwise-gpu-worker-" + UUID.randomUUID(),
            Map.of("transaction.timeout.ms", KafkaClients.STAGE_TRANSACTION_TIMEOUT_MS));
    metrics.bind(consumer);
    metrics.bind(producer);
    ImageSource source = new ImageSource(this::s3);
    ImagePreparation preparation =
        new ImagePreparation(
            topics.images(),
            source,
            model.card().inputSize(),
            new ImageDecoder(config.maxImagePixels()));
    this.enhancer =
        new ImageEnhancer(
            model,
            config.maxBatchSize(),
            config.shareTrajectories(),
            codec,
            OutputEncoder.of(config.pngFilter(), config.pngDeflateLevel()));
    this.pipeline =
        new WorkerPipeline(
            config,
            topics,
            consumer,
            producer,
            enhancer,
            preparation,
            codec,
            new InfrastructureRetry(config.connection().retryTimeout()),
            metrics);
  }

  private synchronized S3AsyncClient s3() {
    if (s3 == null) {
      s3 = S3Clients.create(config.connection(), 16);
    }
    return s3;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** Runs the loop on the calling thread until {@link #stop()}. */
  @Override
  public void run() {
    pipeline.run();
  }

  @Override
  public void stop() {
    pipeline.stop();
  }

  /** Consuming with partitions of the work topic assigned. */
  @Override
  public boolean isReady() {
    return pipeline.assignedPartitions() > 0;
  }

  @Override
  public String describe() {
    return "consuming "
        + TopicNames.IMAGES
        + " (group "
        + config.groupId()
        + ", "
        + pipeline.assignedPartitions()
        + " partitions) on "
        + (model.device().isGpu() ? "gpu:" + model.device().getDeviceId() : "cpu")
        + ", model "
        + model.card().id()
        + ", batches up to "
        + config.maxBatchSize()
        + " images";
  }

  @Override
  public StageActivity activity() {
    return metrics;
  }

  public int assignedPartitions() {
    return pipeline.assignedPartitions();
  }

  public long imagesDone() {
    return pipeline.imagesDone();
  }

  @Override
  public void close() {
    consumer.close();
    producer.close();
    codec.shutdownNow();
    if (s3 != null) {
      s3.close();
    }
    enhancer.close();
    model.close();
    metrics.close();
  }

  /**
   * {@code java ... WorkerApp [settings.properties]}: what {@code lwise worker --config FILE} does.
   */
  public static void main(String[] args) {
    Map<String, String> settings =
        SettingsLoader.forStage(List.of(WorkerConfig.DEFINITION, MonitoringSettings.DEFINITION))
            .load(args.length > 0 ? Path.of(args[0]) : null, System.getenv());
    System.exit(runProcess(settings));
  }

  /**
   * Runs a worker as this process until Ctrl-C or SIGTERM ({@link StageRunner}); returns the exit
   * code.
   */
  public static int runProcess(Map<String, String> settings) {
    return new StageRunner(System.out, System.err)
        .runProcess(NAME, settings, metrics -> new WorkerApp(WorkerConfig.from(settings), metrics));
  }
}
