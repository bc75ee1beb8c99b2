package org.lwise.stream.launcher;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.lwise.stream.common.ConfigSources;
import org.lwise.stream.common.KafkaClients;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.S3Clients;
import org.lwise.stream.common.TopicSetup;
import org.lwise.stream.ingest.ImageStager;
import org.lwise.stream.ingest.IngestConfig;
import org.lwise.stream.ingest.IngestPipeline;
import org.lwise.stream.ingest.IngestReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * {@code lwise submit}: the ingest stage on its own — publishes a dirmap as a job to a running
 * pipeline (separate worker, uploader and aggregator processes, e.g. the Docker Compose setup).
 */
@Command(name = "submit", mixinStandardHelpOptions = true,
    description = "Publish a dirmap as a job to a running pipeline (ingest only).")
public final class SubmitCommand implements Callable<Integer> {
  @Mixin
  JobOptions job = new JobOptions();

  @Option(names = "--config", required = true, description = "properties file with at least bootstrap.servers and registry.url")
  Path config;

  @Override
  public Integer call() {
    Map<String, String> props = ConfigSources.merge(config, System.getenv(), Map.of());
    IngestConfig ingest = IngestConfig.from(props);
    TopicSetup.ensureTopics(ingest.connection().bootstrapServers(), ingest.connection().topicPartitions());
    PipelineTopics topics = PipelineTopics.create(new RegistrySerdes(ingest.connection().registryUrl()));
    try (S3AsyncClient s3 = S3Clients.create(ingest.connection(), 4);
        ProgressBar bar = new ProgressBarBuilder().setTaskName("Publishing").setStyle(ProgressBarStyle.ASCII).build()) {
      IngestPipeline pipeline = new IngestPipeline(ingest, topics,
          id -> KafkaClients.transactionalProducer(ingest.connection().bootstrapServers(), id,
              Map.of("transaction.timeout.ms", 900_000)),
          new ImageStager(s3, ingest.stagingBucket()));
      IngestReport report = pipeline.submit(job.toRequest(null), bar::stepBy);
      System.out.printf("%nJob %s: %d rows, %d image records, %d dead letters%s%n", report.jobId(), report.rows(),
          report.published(), report.deadLettered(), report.alreadySubmitted() ? " (submitted before; nothing sent)" : "");
    }
    return 0;
  }
}
