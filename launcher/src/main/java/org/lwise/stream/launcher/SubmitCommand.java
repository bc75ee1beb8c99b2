package org.lwise.stream.launcher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.ConnectionConfig;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.ingest.IngestApp;
import org.lwise.stream.ingest.IngestConfig;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.schema.DirmapWritten;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lwise submit}: the ingest stage on its own — publishes a dirmap as a job to a running
 * pipeline (separate worker, uploader and aggregator processes, e.g. the Docker Compose setup).
 */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    description = "Publish a dirmap as a job to a running pipeline (ingest only).")
public final class SubmitCommand implements Callable<Integer> {
  @Mixin JobOptions job = new JobOptions();

  @Option(
      names = "--config",
      required = true,
      description = "properties file with at least bootstrap.servers and registry.url")
  Path config;

  @Option(
      names = "--wait",
      description = "wait until the job's dirmaps are written, then list them")
  boolean await;

  @Option(
      names = "--timeout-minutes",
      defaultValue = "120",
      description = "with --wait: give up after this long")
  long timeoutMinutes;

  @Override
  public Integer call() {
    IngestConfig ingestConfig = IngestConfig.from(StageSettings.load(config));
    JobRequest request;
    IngestReport report;
    try (IngestApp ingest = new IngestApp(ingestConfig);
        ProgressBar bar =
            new ProgressBarBuilder()
                .setTaskName("Publishing")
                .setStyle(ProgressBarStyle.ASCII)
                .build()) {
      request = job.toRequest(null);
      report = ingest.submit(request, bar::stepBy);
      System.out.printf(
          "%nJob %s: %d rows, %d image records, %d dead letters%s%n",
          report.jobId(),
          report.rows(),
          report.published(),
          report.deadLettered(),
          report.alreadySubmitted() ? " (submitted before; nothing sent)" : "");
    }
    if (!await) {
      return 0;
    }
    List<String> conditions = new ArrayList<>(List.of(Conditions.NATURAL));
    request.conditions().forEach(c -> conditions.add(c.getId()));
    Map<String, DirmapWritten> dirmaps =
        awaitDirmaps(
            ingestConfig.connection(),
            PipelineTopics.create(new RegistrySerdes(ingestConfig.connection().registryUrl())),
            report,
            conditions);
    for (String condition : conditions) {
      DirmapWritten d = dirmaps.get(condition);
      System.out.printf(
          "  %-28s %5d rows, %d failed  %s%s%n",
          condition,
          d.getRows(),
          d.getFailed(),
          d.getCsvPath(),
          d.getCsvUrl().isEmpty() ? "" : "  " + d.getCsvUrl());
    }
    return dirmaps.get(Conditions.NATURAL).getFailed() > 0 ? 2 : 0;
  }

  /**
   * Waits for every condition's final dirmap, showing the job's rows scored or failed meanwhile.
   * Every read goes through {@link InfrastructureOutage}: a broker or registry restart pauses the
   * bar; only one that outlasts {@code retry.timeout.ms} ends the wait.
   */
  private Map<String, DirmapWritten> awaitDirmaps(
      ConnectionConfig connection,
      PipelineTopics topics,
      IngestReport report,
      List<String> conditions) {
    InfrastructureOutage outage = new InfrastructureOutage(connection);
    WrittenDirmaps written = new WrittenDirmaps(connection.bootstrapServers(), topics.dirmaps());
    Duration timeout = Duration.ofMinutes(timeoutMinutes);
    long deadline = System.nanoTime() + timeout.toNanos();
    long lastDirmapCheck = 0;
    try (JobRowTally tally =
            outage.retrying(
                () -> new JobRowTally(connection.bootstrapServers(), topics, report.jobId()));
        ProgressBar bar =
            new ProgressBarBuilder()
                .setTaskName("Scoring")
                .setStyle(ProgressBarStyle.ASCII)
                .setInitialMax(report.rows())
                .setUpdateIntervalMillis(500)
                .build()) {
      while (true) {
        outage.retrying(
            () -> {
              tally.poll(Duration.ofMillis(500));
              return null;
            });
        bar.stepTo(tally.accounted());
        bar.setExtraMessage(tally.failed() + " failed");
        if (System.nanoTime() - lastDirmapCheck > 2_000_000_000L) {
          lastDirmapCheck = System.nanoTime();
          Map<String, DirmapWritten> done = outage.retrying(() -> written.of(report.jobId()));
          if (done.keySet().containsAll(conditions)) {
            return done;
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "job "
                    + report.jobId()
                    + " has not finished within "
                    + timeout
                    + " ("
                    + tally.accounted()
                    + " of "
                    + report.rows()
                    + " rows scored or failed, "
                    + done.size()
                    + " of "
                    + conditions.size()
                    + " dirmaps written)");
          }
        }
      }
    }
  }
}
