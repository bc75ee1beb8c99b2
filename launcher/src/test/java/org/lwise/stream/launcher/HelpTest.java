package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The help of every command: each option described, defaults shown, examples at the end. */
class HelpTest {
  private static List<CommandLine> everyCommand() {
    List<CommandLine> commands = new ArrayList<>();
    CommandLine lwise = Launcher.commandLine();
    commands.add(lwise);
    commands.addAll(lwise.getSubcommands().values());
    return commands;
  }

  @Test
  void shouldDescribeEveryOptionOfEveryCommand() {
    for (CommandLine command : everyCommand()) {
      for (OptionSpec option : command.getCommandSpec().options()) {
        assertThat(String.join(" ", option.description()))
            .as("lwise %s %s", command.getCommandName(), option.longestName())
            .isNotBlank();
      }
    }
  }

  @Test
  void shouldShowDefaultsAndEndWithExamples() {
    for (CommandLine command : everyCommand()) {
      CommandSpec spec = command.getCommandSpec();
      // Long lines wrap in the help: compare with whitespace collapsed.
      String help = command.getUsageMessage().replaceAll("\\s+", " ");
      assertThat(String.join("\n", spec.usageMessage().footer()))
          .as("footer of lwise %s", command.getCommandName())
          .contains("Example")
          .contains("lwise ");
      for (OptionSpec option : spec.options()) {
        boolean flag = option.type() == boolean.class || option.type() == Boolean.class;
        if (flag && "true".equals(option.defaultValue())) {
          // picocli shows no default for flags; one that is on unless negated says so itself.
          assertThat(String.join(" ", option.description())).contains("default on");
        } else if (option.defaultValue() != null && !flag) {
          assertThat(help)
              .as("help of lwise %s", command.getCommandName())
              .contains("Default: " + option.defaultValue().replaceAll("\\s+", " "));
        }
      }
    }
  }

  @Test
  void shouldFindBenchDefaultsFromAnyFolder() {
    // The lwise script sets lwise.home to the checkout; the working directory does not matter.
    System.setProperty("lwise.home", Path.of("..").toAbsolutePath().normalize().toString());
    try {
      BenchCommand bench = new BenchCommand();
      new CommandLine(bench).setCaseInsensitiveEnumValuesAllowed(true).parseArgs();
      assertThat(bench.model).isAbsolute();
      assertThat(Files.exists(bench.model.resolve("model-card.json")))
          .as("%s", bench.model)
          .isTrue();
      assertThat(bench.images).isDirectory();
    } finally {
      System.clearProperty("lwise.home");
    }
  }
}
