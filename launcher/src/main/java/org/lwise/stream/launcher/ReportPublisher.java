package org.lwise.stream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.ConnectionConfig;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.S3Clients;
import org.lwise.stream.common.S3Layout;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.launcher.report.JobReport;
import org.lwise.stream.launcher.report.ReportInput;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.Job;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;

/**
 * Writes a finished job's report: reads the job, its dirmaps and its dead letters from the topics
 * (whichever process ran it), writes {@code <out>/<dataset>_report.html} and, when the job's
 * dirmaps were uploaded, puts the report next to them in the natural condition's bucket ({@code
 * _dirmaps/<dataset>_report.html}).
 */
final class ReportPublisher {
  /** Where the report went: its file, and its URL when uploaded (else null). */
  record Published(Path file, String url) {}

  private ReportPublisher() {}

  /**
   * @param seconds the run's wall time when the caller knows it, else null
   * @param modelCard the job's model card, to score the enhanced images; null to skip that
   * @param file where to write; null for the default next to the dirmaps
   */
  static Published publish(
      Map<String, String> props, String jobId, Double seconds, Path modelCard, Path file) {
    ConnectionConfig connection = ConnectionConfig.from(props);
    PipelineTopics topics = PipelineTopics.create(new RegistrySerdes(connection.registryUrl()));
    Job job = TopicReader.latest(connection.bootstrapServers(), topics.jobs()).get(jobId);
    if (job == null) {
      throw new IllegalArgumentException("no job " + jobId + " on " + topics.jobs().name());
    }
    Map<String, DirmapWritten> written =
        new WrittenDirmaps(connection.bootstrapServers(), topics.dirmaps()).of(jobId);
    DirmapWritten natural = written.get(Conditions.NATURAL);
    if (natural == null) {
      throw new IllegalStateException(
          "job " + jobId + " has no natural dirmap yet (lwise status " + jobId + ")");
    }
    Map<String, Path> dirmaps = new LinkedHashMap<>();
    written.forEach((condition, w) -> dirmaps.put(condition, Path.of(w.getCsvPath())));
    List<DeadLetter> failures = new ArrayList<>();
    TopicReader.readAll(
        connection.bootstrapServers(),
        topics.deadLetters(),
        (key, dead) -> {
          if (dead != null && jobId.equals(dead.getJobId())) {
            failures.add(dead);
          }
        });
    ReportInput input;
    try {
      input =
          new ReportInput(
              job,
              dirmaps,
              failures,
              seconds,
              Files.getLastModifiedTime(Path.of(natural.getCsvPath())).toInstant(),
              modelCard);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the natural dirmap " + natural.getCsvPath(), e);
    }
    Path target = JobReport.write(input, file != null ? file : input.defaultReportFile());
    String url =
        natural.getCsvUrl().isEmpty() ? null : upload(connection, job.getDataset(), target);
    return new Published(target, url);
  }

  private static String upload(ConnectionConfig connection, String dataset, Path report) {
    S3Layout layout = connection.s3Layout();
    String bucket = layout.bucket(dataset, Conditions.NATURAL);
    String key = layout.key(dataset, Conditions.NATURAL, "_dirmaps/" + dataset + "_report.html");
    try (S3AsyncClient s3 = S3Clients.create(connection, 1)) {
      s3.putObject(
              b -> {
                b.bucket(bucket).key(key).contentType("text/html; charset=utf-8");
                if (connection.s3PublicRead()) {
                  b.acl(ObjectCannedACL.PUBLIC_READ);
                }
              },
              AsyncRequestBody.fromFile(report))
          .join();
    }
    return layout.url(bucket, key);
  }
}
