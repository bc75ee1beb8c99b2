package org.lwise.stream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A {@code lwise worker} in its own JVM, started by a benchmark the way an operator starts one per
 * GPU: this JVM's launcher classpath, a properties file (the embedded servers' connection file plus
 * the given stage settings), and libtorch limited to {@code threads} threads.
 */
final class WorkerProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path output;

  private WorkerProcess(String name, Process process, Path output) {
    this.name = name;
    this.process = process;
    this.output = output;
  }

  /**
   * @param dir where its settings file, console output and log go ({@code <name>.*})
   * @param jvmOptions extra JVM options (e.g. native memory tracking)
   */
  static WorkerProcess start(
      String name,
      Path connectionFile,
      Map<String, String> settings,
      int threads,
      List<String> jvmOptions,
      Path dir)
      throws IOException {
    Files.createDirectories(dir);
    Properties props = new Properties();
    try (var in = Files.newBufferedReader(connectionFile)) {
      props.load(in);
    }
    props.putAll(settings);
    Path config = dir.resolve(name + ".properties");
    try (var out = Files.newBufferedWriter(config)) {
      props.store(out, "lwise worker " + name + " (benchmark)");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx2g");
    command.add("-Dai.djl.offline=true");
    // libtorch's intra-op pool and DJL's own setting: "one thread each" means both.
    command.add("-Dai.djl.pytorch.num_threads=" + threads);
    command.add("-Dai.djl.pytorch.num_interop_threads=1");
    command.add("-Dlwise.log.file=" + dir.resolve(name + ".log"));
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            Launcher.class.getName(),
            "worker",
            "--config",
            config.toString()));
    Path output = dir.resolve(name + ".out");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
    builder.environment().put("DJL_OFFLINE", "true");
    builder.environment().put("OPT_OUT_TRACKING", "true");
    builder.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
    return new WorkerProcess(name, builder.start(), output);
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Stops it if it exited: a benchmark cannot go on without its worker. */
  void requireAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException(
          "worker " + name + " exited with " + process.exitValue() + ": " + tail());
    }
  }

  /** Resident set in kB from /proc (-1 off Linux or once exited). */
  long residentKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // exited, or not Linux: the caller prints -1
    }
    return -1;
  }

  /** SIGTERM: the worker commits what it finished, leaves its group and exits. */
  int stop(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      throw new IllegalStateException("worker " + name + " did not exit within " + timeout);
    }
    return process.exitValue();
  }

  /** SIGKILL: a crashed host; the group notices after its session timeout. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** The last lines of its console, for error messages. */
  String tail() {
    try {
      List<String> lines = Files.readAllLines(output);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}
