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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Apicurio schema registry, started as a child JVM from the jar the registry-server module
 * builds. Its H2 database is a file under {@code dataDir}, so schema ids stay valid for the records
 * a previous run left in Kafka.
 */
public final class EmbeddedRegistry implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedRegistry.class);

  private final Process process;
  private final String url;

  private EmbeddedRegistry(Process process, String url) {
    this.process = process;
    this.url = url;
  }

  public static EmbeddedRegistry start(Path jar, Path dataDir, int port) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("registry server jar not found at " + jar
          + "; build it with: mvn -q install -DskipTests (module registry-server)");
    }
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dataDir, e);
    }
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-jar", jar.toString()));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(dataDir.resolve("registry.log").toFile());
    builder.environment().put("HTTP_HOST", "127.0.0.1");
    builder.environment().put("HTTP_PORT", String.valueOf(port));
    builder.environment().put("REGISTRY_DATASOURCE_URL",
        "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("registry_db") + ";DB_CLOSE_ON_EXIT=FALSE");
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the registry server", e);
    }
    EmbeddedRegistry registry = new EmbeddedRegistry(process, "http://127.0.0.1:" + port + "/apis/registry/v2");
    try {
      registry.awaitReady(Duration.ofSeconds(90), dataDir.resolve("registry.log"));
    } catch (RuntimeException e) {
      registry.close();
      throw e;
    }
    log.info("Schema registry ready at {}", registry.url);
    return registry;
  }

  private void awaitReady(Duration timeout, Path logFile) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest probe = HttpRequest.newBuilder(URI.create(url + "/system/info")).timeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the registry server exited (code " + process.exitValue() + "); see " + logFile);
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
      sleep(250);
    }
    throw new IllegalStateException("the registry server did not answer within " + timeout + "; see " + logFile);
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
    process.destroy();
    try {
      if (!process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
