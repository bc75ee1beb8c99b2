package org.lwise.stream.launcher;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import picocli.CommandLine;

/** A command run as the CLI runs it, with what it printed on standard output. */
record CommandRun(int code, String output) {
  static CommandRun of(Object command, String... args) {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int code;
    try {
      System.setOut(new PrintStream(printed, true));
      code = new CommandLine(command).execute(args);
    } finally {
      System.setOut(original);
    }
    return new CommandRun(code, printed.toString());
  }
}
