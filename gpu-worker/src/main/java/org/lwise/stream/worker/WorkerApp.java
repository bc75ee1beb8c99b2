package org.lwise.stream.worker;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.lwise.stream.common.ConfigSources;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.KafkaClients;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.S3Clients;
import org.lwise.stream.common.StageProcess;
import org.lwise.stream.common.TopicSetup;
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
public final class WorkerApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkerApp.class);

  private final WorkerConfig config;
  private final RobustClassifier model;
  private final ImageEnhancer enhancer;
  private final ExecutorService codec;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final WorkerPipeline pipeline;
  private volatile S3AsyncClient s3;

  public WorkerApp(WorkerConfig config) {
    this.config = config;
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
            Map.of(
                "max.poll.records",
                Math.max(config.maxBatchSize() * 2, 16),
                // A batch of enhancements can take minutes on a CPU, and may also wait out an
                // outage.
                "max.poll.interval.ms",
                KafkaClients.pollIntervalCovering(config.connection().retryTimeout(), 900_000)));
    // The model's work happens before a transaction opens; inside one there are only sends and the
    // commit. A short timeout lets the broker abort a killed worker's open transaction quickly, so
    // read_committed readers of the job wait seconds, not 15 minutes.
    this.producer =
        KafkaClients.transactionalProducer(
            bootstrap,
            "lwise-gpu-worker-" + UUID.randomUUID(),
            Map.of("transaction.timeout.ms", KafkaClients.STAGE_TRANSACTION_TIMEOUT_MS));
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
            new InfrastructureRetry(config.connection().retryTimeout()));
  }

  private synchronized S3AsyncClient s3() {
    if (s3 == null) {
      s3 = S3Clients.create(config.connection(), 16);
    }
    return s3;
  }

  /** Runs the loop on the calling thread until {@link #stop()}. */
  public void run() {
    pipeline.run();
  }

  public void stop() {
    pipeline.stop();
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
  }

  public static void main(String[] args) {
    runUntilStopped(
        ConfigSources.merge(args.length > 0 ? Path.of(args[0]) : null, System.getenv(), Map.of()));
  }

  /** Runs the stage on the calling thread until the JVM shuts down (Ctrl-C, SIGTERM). */
  public static void runUntilStopped(Map<String, String> props) {
    WorkerApp app = new WorkerApp(WorkerConfig.from(props));
    StageProcess.runUntilStopped("lwise-gpu-worker", app::run, app::stop, app);
  }
}
