package org.lwise.stream.launcher;

import java.nio.file.Path;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code lwise} command line. */
@Command(
    name = "lwise",
    mixinStandardHelpOptions = true,
    version = "L-WISE Stream 0.1.0",
    description = "Robust-model difficulty scoring and enhancement of image datasets, on Kafka.",
    footer = {
      "%nExamples:",
      "  lwise run --dirmap demo/fashion-mnist/dirmap.csv --model demo/models/fashion-cnn-robust --eps 1,2",
      "  lwise run --help"
    },
    subcommands = {
      RunCommand.class,
      SubmitCommand.class,
      StatusCommand.class,
      JobsCommand.class,
      ReportCommand.class,
      WatchCommand.class,
      StageCommand.Worker.class,
      StageCommand.Uploader.class,
      StageCommand.Aggregator.class,
      FashionMnistCommand.class,
      BenchCommand.class,
      PipelineBenchCommand.class,
      ScaleOutBenchCommand.class,
      MemoryBenchCommand.class,
      EncodeBenchCommand.class,
      UploadBenchCommand.class,
      LatencyBenchCommand.class,
      OutcomesBenchCommand.class,
      SimulateParticipantsCommand.class,
      TrainCommand.class,
      EvaluateCommand.class,
      GridCommand.class
    })
public final class Launcher {
  /** Where the registry server jar is; the {@code lwise} script passes it. */
  static Path registryJar() {
    return Path.of(
        System.getProperty(
            "lwise.registry.jar", "registry-server/target/lwise-registry-server-runner.jar"));
  }

  /** Every option of every command shows its default in its help. */
  private static void showDefaults(CommandLine command) {
    command.getCommandSpec().usageMessage().showDefaultValues(true);
    command.getSubcommands().values().forEach(Launcher::showDefaults);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /**
   * The command line as {@code lwise} runs it, failures included (tests run commands through it
   * too).
   */
  static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new Launcher());
    showDefaults(commandLine);
    return commandLine
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(
            (e, cmd, parsed) -> {
              // One line for the user; the stack trace goes to the log file only
              // (ConsoleLogFilter).
              cmd.getErr().println("lwise: " + e.getMessage());
              LoggerFactory.getLogger(Launcher.class).error("command failed", e);
              return 1;
            });
  }
}
