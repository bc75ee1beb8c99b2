package org.lwise.stream.launcher;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** A command run as the CLI runs it, with what it printed on standard output and as errors. */
record CommandRun(int code, String output, String errors) {
  /** One command object, parsed and run by picocli as the launcher configures it. */
  static CommandRun of(Object command, String... args) {
    return capture(new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true), args);
  }

  /** {@code lwise ARGS} exactly as the launcher runs it, its one-line failure handler included. */
  static CommandRun lwise(String... args) {
    return capture(Launcher.commandLine(), args);
  }

  private static synchronized CommandRun capture(CommandLine commandLine, String... args) {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    StringWriter errors = new StringWriter();
    PrintStream original = System.out;
    int code;
    try {
      System.setOut(new PrintStream(printed, true));
      code = commandLine.setErr(new PrintWriter(errors, true)).execute(args);
    } finally {
      System.setOut(original);
    }
    return new CommandRun(code, printed.toString(), errors.toString());
  }
}
