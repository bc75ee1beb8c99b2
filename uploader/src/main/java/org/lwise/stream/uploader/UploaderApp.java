package org.lwise.stream.uploader;

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
import org.lwise.stream.common.TopicSetup;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/** The uploader process: wires clients and runs {@link UploadPipeline} until stopped. */
public final class UploaderApp implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final S3AsyncClient s3;
  private final UploadPipeline pipeline;

  public UploaderApp(UploaderConfig config) {
    String bootstrap = config.connection().bootstrapServers();
    TopicSetup.ensureTopics(bootstrap, config.connection().topicPartitions());
    PipelineTopics topics =
        PipelineTopics.create(new RegistrySerdes(config.connection().registryUrl()));
    this.consumer =
        KafkaClients.readCommittedConsumer(
            bootstrap,
            config.groupId(),
            Map.of(
                "max.poll.records",
                config.concurrency() * 4,
                // A batch may wait out an S3 outage of up to retry.timeout.ms before it commits.
                "max.poll.interval.ms",
                KafkaClients.pollIntervalCovering(config.connection().retryTimeout(), 0)));
    this.producer =
        KafkaClients.transactionalProducer(
            bootstrap,
            "lwise-uploader-" + UUID.randomUUID(),
            Map.of("transaction.timeout.ms", KafkaClients.STAGE_TRANSACTION_TIMEOUT_MS));
    this.s3 = S3Clients.create(config.connection(), config.concurrency());
    this.pipeline =
        new UploadPipeline(
            config,
            topics,
            consumer,
            producer,
            new ObjectStore(s3, config.connection().s3PublicRead(), config.checkExisting()),
            new InfrastructureRetry(config.connection().retryTimeout()));
  }

  public void run() {
    pipeline.run();
  }

  public void stop() {
    pipeline.stop();
  }

  @Override
  public void close() {
    consumer.close();
    producer.close();
    s3.close();
  }

  public static void main(String[] args) {
    runUntilStopped(
        org.lwise.stream.common.ConfigSources.merge(
            args.length > 0 ? java.nio.file.Path.of(args[0]) : null, System.getenv(), Map.of()));
  }

  /** Runs the stage on the calling thread until the JVM shuts down (Ctrl-C, SIGTERM). */
  public static void runUntilStopped(Map<String, String> props) {
    UploaderApp app = new UploaderApp(UploaderConfig.from(props));
    org.lwise.stream.common.StageProcess.runUntilStopped(
        "lwise-uploader", app::run, app::stop, app);
  }
}
