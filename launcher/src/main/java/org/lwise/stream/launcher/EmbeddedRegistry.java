package org.lwise.stream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Apicurio schema registry, started as a child JVM from the jar the registry-server module
 * builds. Its H2 database is a file under {@code dataDir}, so schema ids stay valid for the records
 * a previous run (or a previous {@link #start()}) left in Kafka. The child watches this JVM and
 * exits when it is gone, even after a kill -9 (registry-server's {@code ParentWatch}).
 */
public final class EmbeddedRegistry implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedRegistry.class);

  /** Read by registry-server's ParentWatch. */
  static final String PARENT_PID = "LWISE_PARENT_PID";

  private final Path jar;
  private final Path dataDir;
  private final int port;
  private final String url;
  private final ClassDataArchive classArchive; // null: none
  private Process process; // null while stopped

  private EmbeddedRegistry(Path jar, Path dataDir, int port, Path archiveFolder) {
    this.jar = jar;
    this.dataDir = dataDir;
    this.port = port;
    this.url = "http://127.0.0.1:" + port + "/apis/registry/v2";
    this.classArchive =
        archiveFolder == null ? null : ClassDataArchive.forJar(jar, archiveFolder, "registry");
  }

  /**
   * Starts the registry; its JVM's class-data archive is kept beside the jar ({@code cds/}), so
   * every start after the first on this machine is about twice as fast.
   */
  public static EmbeddedRegistry start(Path jar, Path dataDir, int port) {
    return start(jar, dataDir, port, jar.toAbsolutePath().getParent().resolve("cds"));
  }

  /** {@code archiveFolder} null: no class-data archive, none written. */
  static EmbeddedRegistry start(Path jar, Path dataDir, int port, Path archiveFolder) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "registry server jar not found at "
              + jar
              + "; build it with: mvn -q install -DskipTests (module registry-server)");
    }
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dataDir, e);
    }
    EmbeddedRegistry registry = new EmbeddedRegistry(jar, dataDir, port, archiveFolder);
    registry.start();
    return registry;
  }

  /** Starts the registry (again) on its port with its database; does nothing if it is running. */
  public synchronized void start() {
    if (process != null) {
      return;
    }
    if (!PortGuard.isFree(port)) {
      // Whatever answers there is not ours: refuse rather than register schemas in a stranger.
      throw new IllegalStateException(
          "cannot start the registry: port "
              + port
              + " is in use by "
              + PortGuard.listener(port).orElse("another process"));
    }
    Path logFile = dataDir.resolve("registry.log");
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xmx256m"));
    if (classArchive != null) {
      command.addAll(classArchive.jvmOptions());
    }
    command.addAll(List.of("-jar", jar.toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    builder.environment().put("HTTP_HOST", "127.0.0.1");
    builder.environment().put("HTTP_PORT", String.valueOf(port));
    builder
        .environment()
        .put(
            "REGISTRY_DATASOURCE_URL",
            "jdbc:h2:file:"
                + dataDir.toAbsolutePath().resolve("registry_db")
                + ";DB_CLOSE_ON_EXIT=FALSE");
    builder.environment().put(PARENT_PID, String.valueOf(ProcessHandle.current().pid()));
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the registry server", e);
    }
    try {
      awaitReady(Duration.ofSeconds(90), logFile);
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
    log.info("Schema registry ready at {} (pid {})", url, process.pid());
  }

  /**
   * Stops the registry, keeping its database; clients see it as unreachable until {@link #start()}.
   */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroy(); // SIGTERM: Quarkus shuts down and closes the database cleanly
    try {
      // The first start's JVM writes its class-data archive as it exits: allow for that.
      if (process.waitFor(30, TimeUnit.SECONDS)) {
        // Only an archive the JVM finished writing as it exited on SIGTERM (143) or by itself
        // (0): one killed (a fault test's kill -9) or crashed may have left half a file.
        int exit = process.exitValue();
        if (classArchive != null && (exit == 0 || exit == 143)) {
          classArchive.publishIfWritten();
        }
      } else {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    log.info("Schema registry at {} stopped", url);
    process = null;
  }

  /** The registry's process while it runs (fault tests kill it; operators look it up). */
  public synchronized Optional<ProcessHandle> processHandle() {
    return Optional.ofNullable(process).map(Process::toHandle);
  }

  private void awaitReady(Duration timeout, Path logFile) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest probe =
        HttpRequest.newBuilder(URI.create(url + "/system/info"))
            .timeout(Duration.ofSeconds(2))
            .build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "the registry server exited (code " + process.exitValue() + "); see " + logFile);
      }
      try {
        if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // Not listening yet; try again shortly.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the registry", e);
      }
      sleep(100);
    }
    throw new IllegalStateException(
        "the registry server did not answer within " + timeout + "; see " + logFile);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  public String url() {
    return url;
  }

  @Override
  public void close() {
    stop();
  }
}
