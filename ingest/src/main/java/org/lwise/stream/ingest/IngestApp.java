package org.lwise.stream.ingest;

import java.util.Map;
import java.util.function.LongConsumer;
import org.lwise.stream.common.KafkaClients;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.S3Clients;
import org.lwise.stream.common.TopicSetup;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/** The ingest stage: wires its clients once, then submits jobs or watches dirmaps. */
public final class IngestApp implements AutoCloseable {
  private final IngestConfig config;
  private final PipelineTopics topics;
  private final S3AsyncClient s3;

  public IngestApp(IngestConfig config) {
    this.config = config;
    TopicSetup.ensureTopics(
        config.connection().bootstrapServers(), config.connection().topicPartitions());
    this.topics = PipelineTopics.create(new RegistrySerdes(config.connection().registryUrl()));
    this.s3 = S3Clients.create(config.connection(), 4);
  }

  /** Publishes a dirmap as a job (or finds it submitted before). */
  public IngestReport submit(JobRequest request, LongConsumer rowsDone) {
    IngestPipeline pipeline =
        new IngestPipeline(
            config,
            topics,
            id ->
                KafkaClients.transactionalProducer(
                    config.connection().bootstrapServers(),
                    id,
                    // A whole job is one transaction; a large dirmap takes a while to publish.
                    Map.of("transaction.timeout.ms", 900_000)),
            new ImageStager(s3, config.stagingBucket()));
    return pipeline.submit(request, rowsDone);
  }

  /**
   * A watcher of the request's dirmap (run it on a thread of your own; stop it with {@code
   * stop()}).
   */
  public DirmapWatcher watcher(JobRequest request, Long fromRow) {
    return new DirmapWatcher(
        config,
        topics,
        id ->
            KafkaClients.transactionalProducer(
                config.connection().bootstrapServers(), id, Map.of()),
        new ImageStager(s3, config.stagingBucket()),
        request,
        fromRow);
  }

  @Override
  public void close() {
    s3.close();
  }
}
