package org.lwise.stream.launcher;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lwise.stream.common.ConnectionConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lwise report JOB_ID}: the job's HTML report, from the topics and the dirmaps they point
 * to. With a {@code bootstrap.servers} setting it reads those servers; without, it starts the
 * embedded servers of the output folder an earlier {@code lwise run} left.
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description =
        "Write a finished job's HTML report (difficulty, enhancements, image statistics) next to its dirmaps.",
    footer = {
      "%nExamples:",
      "  lwise report fashion-mnist-46c6a6ea91a9 --out lwise-out",
      "  lwise report fashion-mnist-46c6a6ea91a9 --config lab.properties --model demo/models/fashion-cnn-robust"
    })
public final class ReportCommand implements Callable<Integer> {
  @Parameters(paramLabel = "JOB_ID", description = "as printed by submit or run")
  String jobId;

  @Option(
      names = "--config",
      description = "properties file; without bootstrap.servers the embedded servers of --out")
  Path config;

  @Option(
      names = "--out",
      description =
          "the output folder of the lwise run that did the job (default "
              + RunCommand.DEFAULT_OUT
              + "); only without bootstrap.servers")
  Path out = Path.of(RunCommand.DEFAULT_OUT);

  @Option(
      names = "--model",
      description = "the job's model card folder: also score the enhanced images (gt-logit after)")
  Path model;

  @Option(
      names = "--file",
      description = "where to write the report (default <out>/<dataset>_report.html)")
  Path file;

  @Override
  public Integer call() {
    Map<String, String> settings = StageSettings.load(config);
    if (settings.containsKey(ConnectionConfig.BOOTSTRAP_SERVERS)) {
      return publish(settings);
    }
    System.err.println(
        "Starting the embedded servers under " + out + " to read job " + jobId + " ...");
    try (EmbeddedInfrastructure infra =
        EmbeddedInfrastructure.start(
            out, Launcher.registryJar(), StageSettings.corsOrigins(settings))) {
      // As lwise run merged them: the file's settings win over the embedded connection's defaults.
      return publish(StageSettings.forRun(Map.of(), infra.connection(), settings, Map.of()));
    }
  }

  private int publish(Map<String, String> props) {
    ReportPublisher.Published report = ReportPublisher.publish(props, jobId, null, model, file);
    System.out.println("Report: " + report.file().toAbsolutePath().normalize());
    if (report.url() != null) {
      System.out.println("        " + report.url());
    }
    return 0;
  }
}
