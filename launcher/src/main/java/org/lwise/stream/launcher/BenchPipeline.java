package org.lwise.stream.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.method.ModelCard;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.ImageFormat;

/**
 * The API benchmarks' setting: the embedded default with every stage in this JVM (the aggregator's
 * API on a free port), one gpu-worker running the given model, and jobs scored to completion.
 */
final class BenchPipeline implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final EmbeddedInfrastructure infra;
  private final PipelineRun run;
  private final String modelId;

  private BenchPipeline(EmbeddedInfrastructure infra, PipelineRun run, String modelId) {
    this.infra = infra;
    this.run = run;
    this.modelId = modelId;
  }

  /**
   * @param settings stage settings beside the embedded connection, the model and the output folder
   */
  static BenchPipeline start(Path out, Path model, Map<String, String> settings)
      throws IOException, InterruptedException {
    String modelId = ModelCard.read(model).id();
    System.err.println("Starting the embedded servers and the pipeline under " + out + " ...");
    EmbeddedInfrastructure infra =
        EmbeddedInfrastructure.start(out, Launcher.registryJar(), List.of("*"));
    try {
      Map<String, String> props = new HashMap<>(infra.connection());
      props.put("worker.model.card", model.toString());
      props.put("aggregator.output.dir", out.toString());
      props.put("uploader.local.dir", out.toString());
      props.put("api.port", "0");
      props.putAll(settings);
      PipelineRun run = new PipelineRun(props, 1);
      run.awaitWorkersAssigned(Duration.ofMinutes(2));
      return new BenchPipeline(infra, run, modelId);
    } catch (RuntimeException | InterruptedException e) {
      infra.close();
      throw e;
    }
  }

  PipelineRun run() {
    return run;
  }

  /** The live API's root URL. */
  String api() {
    return run.aggregator().apiUrl();
  }

  /** A job of this model on a dirmap (a watch job when {@code referenceJobId} is set). */
  JobRequest request(
      Path dirmap, String dataset, List<Condition> conditions, String referenceJobId) {
    return new JobRequest(
        dirmap, dataset, modelId, "class_num", true, conditions, ImageFormat.PNG, referenceJobId);
  }

  /** Submits a job and waits until its dirmaps are written. */
  IngestReport score(JobRequest request) throws InterruptedException {
    IngestReport report = run.submit(request, n -> {});
    run.awaitCompletion(report.jobId(), Duration.ofMinutes(10), (done, failed) -> {});
    return report;
  }

  /** A GET answered 200 with JSON; anything else stops the benchmark with the answer. */
  static JsonNode getJson(HttpClient http, String url) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          url + " answered " + response.statusCode() + ": " + response.body());
    }
    return JSON.readTree(response.body());
  }

  @Override
  public void close() {
    run.close();
    infra.close();
  }
}
