package org.lwise.stream.launcher;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.ConnectionConfig;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.JobProgress;

/**
 * The short report printed at the end of {@code lwise run}: where things are, counts, failures,
 * speed.
 */
final class RunSummary {
  private final Map<String, String> props;
  private final JobRequest request;
  private final IngestReport report;
  private final JobProgress progress;
  private final Path out;
  private final EmbeddedInfrastructure embedded;
  private final double seconds;
  private final String apiUrl;
  private final ReportPublisher.Published jobReport;

  /**
   * @param jobReport where the job's HTML report went; null when it could not be written
   */
  RunSummary(
      Map<String, String> props,
      JobRequest request,
      IngestReport report,
      JobProgress progress,
      Path out,
      EmbeddedInfrastructure embedded,
      double seconds,
      String apiUrl,
      ReportPublisher.Published jobReport) {
    this.props = props;
    this.jobReport = jobReport;
    this.apiUrl = apiUrl;
    this.request = request;
    this.report = report;
    this.progress = progress;
    this.out = out;
    this.embedded = embedded;
    this.seconds = seconds;
  }

  /**
   * How to reach the embedded store with the aws CLI (or any client that reads the
   * shared-credentials file).
   */
  static String awsCliExample(EmbeddedInfrastructure embedded) {
    return "AWS_SHARED_CREDENTIALS_FILE="
        + embedded.credentialsFile().toAbsolutePath().normalize()
        + " aws --endpoint-url "
        + embedded.s3Endpoint()
        + " s3 ls";
  }

  /** The job's complete dirmaps and failures, read from Kafka once. */
  private List<DirmapWritten> dirmaps;

  private FailureReasons failures;

  private void collect() {
    if (dirmaps != null) {
      return;
    }
    ConnectionConfig connection = ConnectionConfig.from(props);
    PipelineTopics topics = PipelineTopics.create(new RegistrySerdes(connection.registryUrl()));
    List<DirmapWritten> written = new ArrayList<>();
    TopicReader.readAll(
        connection.bootstrapServers(),
        topics.dirmaps(),
        (key, d) -> {
          if (d != null && d.getJobId().equals(report.jobId()) && d.getComplete()) {
            written.removeIf(w -> w.getConditionId().equals(d.getConditionId()));
            written.add(d);
          }
        });
    failures = FailureReasons.read(connection.bootstrapServers(), topics, report.jobId());
    // In the order the user asked for them: natural first, then each condition.
    List<String> order = new ArrayList<>(List.of(Conditions.NATURAL));
    request.conditions().forEach(c -> order.add(c.getId()));
    written.sort(Comparator.comparingInt(d -> order.indexOf(d.getConditionId())));
    dirmaps = written;
  }

  /** The job's written dirmap files (natural first). */
  List<Path> dirmapFiles() {
    collect();
    return dirmaps.stream().map(d -> Path.of(d.getCsvPath())).toList();
  }

  void print(PrintStream console) {
    write(console, true);
  }

  /**
   * The summary as a later run prints it for this finished job: counts, files, buckets and
   * failures, without the timing and without what lives only while this run is up (the store's
   * address, the API).
   */
  String asFinishedEarlier() {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    try (PrintStream console = new PrintStream(text, true, StandardCharsets.UTF_8)) {
      write(console, false);
    }
    return text.toString(StandardCharsets.UTF_8);
  }

  private void write(PrintStream console, boolean live) {
    collect();
    ConnectionConfig connection = ConnectionConfig.from(props);
    console.println();
    // NaN: a job an earlier run finished, reported without running it (no timing of its own).
    String timing =
        Double.isNaN(seconds) || !live
            ? "(finished by an earlier run)"
            : String.format(
                "in %.1f s (%.1f images/s)", seconds, report.rows() / Math.max(seconds, 1e-9));
    console.printf(
        "Job %s (%s, model %s): %d rows, %d done, %d failed %s%n",
        report.jobId(),
        request.dataset(),
        request.modelId(),
        report.rows(),
        progress.getCompleted(),
        progress.getFailed(),
        timing);
    console.println("Output folder: " + out.toAbsolutePath().normalize());
    for (DirmapWritten d : dirmaps) {
      String bucket = connection.s3Layout().bucket(request.dataset(), d.getConditionId());
      console.printf(
          "  %-28s %4d rows  dirmap %s%n",
          d.getConditionId(),
          d.getRows(),
          out.toAbsolutePath()
              .normalize()
              .relativize(Path.of(d.getCsvPath()).toAbsolutePath().normalize()));
      console.printf("  %-28s           S3 bucket %s%n", "", bucket);
    }
    if (jobReport != null) {
      console.println(
          "Report: "
              + jobReport.file().toAbsolutePath().normalize()
              + (jobReport.url() == null || !live ? "" : "  (and " + jobReport.url() + ")"));
    }
    if (embedded != null) {
      console.println(
          "S3 objects (S3Proxy, browsable files): "
              + embedded.s3Dir().toAbsolutePath().normalize()
              + "/<bucket>/<key>");
    }
    if (embedded != null && live) {
      // The keys stay in the file: the console and the log only ever show its path.
      console.println(
          "S3 store "
              + embedded.s3Endpoint()
              + " while this run is up; its keys are in "
              + embedded.credentialsFile().toAbsolutePath().normalize()
              + ", e.g.");
      console.println("  " + awsCliExample(embedded));
      console.println(
          "More stages on these servers: lwise worker --config "
              + embedded.connectionFile().toAbsolutePath().normalize());
    }
    failures.print(console);
    if (!request.conditions().isEmpty()) {
      console.println(
          "Conditions: "
              + Conditions.NATURAL
              + ", "
              + String.join(", ", request.conditions().stream().map(c -> c.getId()).toList()));
    }
    if (apiUrl != null && live) {
      console.println(
          "API: "
              + apiUrl
              + "  (live difficulty; demo experiment: "
              + experimentUrl(apiUrl)
              + "?dataset="
              + request.dataset()
              + ")");
    }
  }

  /** The demo experiment the API's server also serves. */
  static String experimentUrl(String apiUrl) {
    return apiUrl.replaceFirst("/api/v1/?$", "/experiment/");
  }
}
