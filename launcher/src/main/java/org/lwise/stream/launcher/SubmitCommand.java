package org.lwise.stream.launcher;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.lwise.stream.common.ConfigSources;
import org.lwise.stream.ingest.IngestApp;
import org.lwise.stream.ingest.IngestConfig;
import org.lwise.stream.ingest.IngestReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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
    try (IngestApp ingest = new IngestApp(IngestConfig.from(props));
        ProgressBar bar = new ProgressBarBuilder().setTaskName("Publishing").setStyle(ProgressBarStyle.ASCII).build()) {
      IngestReport report = ingest.submit(job.toRequest(null), bar::stepBy);
      System.out.printf("%nJob %s: %d rows, %d image records, %d dead letters%s%n", report.jobId(), report.rows(),
          report.published(), report.deadLettered(), report.alreadySubmitted() ? " (submitted before; nothing sent)" : "");
    }
    return 0;
  }
}
