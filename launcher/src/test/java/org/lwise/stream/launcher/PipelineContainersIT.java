package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.Objective;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The same pipeline on the Compose setup's images (apache/kafka, Apicurio, MinIO). Skipped where no
 * Docker engine is available.
 */
@Testcontainers(disabledWithoutDocker = true)
class PipelineContainersIT {
  static final String MINIO_USER = "lwise-test";
  static final String MINIO_PASSWORD = "lwise-test-secret";

  @Container static final KafkaContainer kafka = new KafkaContainer("apache/kafka:4.1.0");

  @Container
  static final GenericContainer<?> registry =
      new GenericContainer<>("apicurio/apicurio-registry-mem:2.4.2.Final")
          .withExposedPorts(8080)
          .waitingFor(Wait.forHttp("/apis/registry/v2/system/info").forStatusCode(200));

  @Container
  static final GenericContainer<?> minio =
      new GenericContainer<>("minio/minio:latest")
          .withCommand("server", "/data")
          .withEnv("MINIO_ROOT_USER", MINIO_USER)
          .withEnv("MINIO_ROOT_PASSWORD", MINIO_PASSWORD)
          .withExposedPorts(9000)
          .waitingFor(Wait.forHttp("/minio/health/ready").forPort(9000));

  @TempDir Path tmp;

  @Test
  void shouldRunTheWholePipelineOnContainers() throws Exception {
    System.setProperty("aws.accessKeyId", MINIO_USER);
    System.setProperty("aws.secretAccessKey", MINIO_PASSWORD);
    String s3 = "http://" + minio.getHost() + ":" + minio.getMappedPort(9000);
    Map<String, String> props = new HashMap<>();
    props.put("bootstrap.servers", kafka.getBootstrapServers());
    props.put(
        "registry.url",
        "http://" + registry.getHost() + ":" + registry.getMappedPort(8080) + "/apis/registry/v2");
    props.put("s3.endpoint", s3);
    props.put("s3.path.style", "true");
    props.put("s3.url.template", s3 + "/{bucket}/{key}");
    props.put("worker.model.card", "../demo/models/fashion-cnn-standard");
    props.put("aggregator.output.dir", tmp.resolve("out").toString());
    JobRequest request =
        new JobRequest(
            TestDataset.create(tmp),
            "fmnist-tc",
            "fashion-cnn-standard",
            "class_num",
            true,
            List.of(Conditions.create(1, 0.5, null, Objective.LOGIT, List.of(), false)),
            ImageFormat.PNG,
            null);
    try (PipelineRun run = new PipelineRun(props, 1)) {
      run.awaitWorkersAssigned(Duration.ofMinutes(1));
      IngestReport report = run.submit(request, n -> {});
      JobProgress progress =
          run.awaitCompletion(report.jobId(), Duration.ofMinutes(5), (d, f) -> {});
      assertThat(progress.getCompleted()).isEqualTo(TestDataset.GOOD);
      assertThat(progress.getFailed()).isEqualTo(TestDataset.BAD);
    }
    assertThat(
            Files.readAllLines(tmp.resolve("out/fmnist-tc_natural/fmnist-tc_natural_dirmap.csv")))
        .hasSize(TestDataset.GOOD + 1);
    try (S3Client client =
        S3Client.builder()
            .endpointOverride(URI.create(s3))
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .build()) {
      long images =
          client
              .listObjectsV2Paginator(b -> b.bucket("lwise-fmnist-tc-natural"))
              .contents()
              .stream()
              .filter(o -> o.key().startsWith("images/"))
              .count();
      assertThat(images).isEqualTo(TestDataset.GOOD);
    }
  }
}
