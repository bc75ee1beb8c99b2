package org.lwise.stream.launcher;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.lwise.stream.common.ConnectionConfig;

/**
 * The embedded default: a Kafka broker, the schema registry and S3Proxy on loopback, with their
 * data and their logs ({@link EmbeddedLogs}) under {@code <out>/.embedded} (objects under {@code
 * <out>/s3}). Ports are picked on the first run and reused, so a second run resumes against the
 * same data (the broker's controller address is part of its formatted log, and S3 URLs in written
 * dirmaps carry the port). A port that something else listens on stops the run with that process
 * named: a run only ever talks to servers it started itself. The S3 store's keys of this run are in
 * {@code .embedded/credentials} (AWS shared-credentials format, owner-only), which {@code
 * .embedded/connection.properties} names, so {@code lwise worker --config
 * .embedded/connection.properties} works from another shell.
 */
public final class EmbeddedInfrastructure implements AutoCloseable {
  private final EmbeddedKafka kafka;
  private final EmbeddedRegistry registry;
  private final EmbeddedS3 s3;
  private final Path s3Dir;
  private final Path connectionFile;
  private final Path credentialsFile;

  private EmbeddedInfrastructure(
      EmbeddedKafka kafka, EmbeddedRegistry registry, EmbeddedS3 s3, Path s3Dir, Path home) {
    this.kafka = kafka;
    this.registry = registry;
    this.s3 = s3;
    this.s3Dir = s3Dir;
    this.connectionFile = home.resolve("connection.properties");
    this.credentialsFile = home.resolve("credentials");
  }

  /**
   * A server whose parent was just killed needs up to a second to notice and exit (ParentWatch).
   */
  private static final Duration PORT_RELEASE_GRACE = Duration.ofSeconds(5);

  public static EmbeddedInfrastructure start(Path outDir, Path registryJar) {
    return start(outDir, registryJar, List.of(EmbeddedS3.ANY_ORIGIN));
  }

  /**
   * @param corsOrigins origins whose web pages may read the S3 objects ({@code s3.cors.origins})
   */
  public static EmbeddedInfrastructure start(
      Path outDir, Path registryJar, List<String> corsOrigins) {
    Path home = outDir.resolve(".embedded");
    Path portsFile = home.resolve("ports.properties");
    Map<String, Integer> ports = ports(portsFile);
    ports.forEach(
        (setting, port) -> PortGuard.requireFree(setting, port, portsFile, PORT_RELEASE_GRACE));
    EmbeddedLogs.routeTo(home);
    // In parallel: the registry is a child JVM and the broker and S3Proxy start in this one; one
    // after another they took the sum of their start-up times (≈ 13 s on 2 cores), now the longest.
    CompletableFuture<EmbeddedRegistry> registry =
        CompletableFuture.supplyAsync(
            () ->
                EmbeddedRegistry.start(
                    registryJar, home.resolve("registry"), ports.get("registry.port")),
            starter("registry"));
    CompletableFuture<EmbeddedKafka> kafka =
        CompletableFuture.supplyAsync(
            () ->
                EmbeddedKafka.start(
                    home.resolve("kafka"),
                    ports.get("kafka.port"),
                    ports.get("kafka.controller.port")),
            starter("kafka"));
    Path s3Dir = outDir.resolve("s3");
    CompletableFuture<EmbeddedS3> s3 =
        CompletableFuture.supplyAsync(
            () -> EmbeddedS3.start(s3Dir, ports.get("s3.port"), corsOrigins), starter("s3"));
    try {
      CompletableFuture.allOf(registry, kafka, s3).join();
      EmbeddedInfrastructure infra =
          new EmbeddedInfrastructure(kafka.join(), registry.join(), s3.join(), s3Dir, home);
      s3.join().writeCredentials(infra.credentialsFile);
      infra.writeConnectionFile();
      return infra;
    } catch (RuntimeException e) {
      // Whatever did start is stopped again; the first failure is the one reported.
      closeQuietly(s3);
      closeQuietly(registry);
      closeQuietly(kafka);
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      throw cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause);
    }
  }

  private static Executor starter(String server) {
    return task -> {
      Thread thread = new Thread(task, "lwise-start-" + server);
      thread.setDaemon(true);
      thread.start();
    };
  }

  private static void closeQuietly(CompletableFuture<? extends AutoCloseable> server) {
    try {
      AutoCloseable started = server.handle((s, error) -> s).join();
      if (started != null) {
        started.close();
      }
    } catch (Exception e) {
      // Stopping after a failed start: the start's failure is the one that matters.
    }
  }

  /**
   * Connection settings of the embedded servers. No credentials: in this process they travel as
   * system properties, so settings that point at other servers keep the user's own credentials
   * chain.
   */
  public Map<String, String> connection() {
    Map<String, String> props = new LinkedHashMap<>();
    props.put(ConnectionConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    props.put(ConnectionConfig.REGISTRY_URL, registry.url());
    props.put(ConnectionConfig.S3_ENDPOINT, s3.endpoint());
    props.put(ConnectionConfig.S3_PATH_STYLE, "true");
    props.put(ConnectionConfig.S3_URL_TEMPLATE, s3.endpoint() + "/{bucket}/{key}");
    return props;
  }

  /** The broker, to stop and restart it (fault tests). */
  public EmbeddedKafka kafka() {
    return kafka;
  }

  /** The schema registry, to stop and restart it (fault tests). */
  public EmbeddedRegistry registry() {
    return registry;
  }

  /** The S3 store, to stop and restart it (fault tests). */
  public EmbeddedS3 s3() {
    return s3;
  }

  public Path s3Dir() {
    return s3Dir;
  }

  public String s3Endpoint() {
    return s3.endpoint();
  }

  /**
   * Lets a user attach more stage processes (e.g. a second gpu-worker) to this run: the servers'
   * addresses and the path of the credentials file (absolute, so any working directory will do).
   */
  private void writeConnectionFile() {
    Properties props = new Properties();
    props.putAll(connection());
    props.put(
        ConnectionConfig.S3_CREDENTIALS_FILE,
        credentialsFile.toAbsolutePath().normalize().toString());
    try (Writer writer = Files.newBufferedWriter(connectionFile)) {
      props.store(
          writer,
          "Embedded servers of the running `lwise run`; S3 keys of this run in "
              + ConnectionConfig.S3_CREDENTIALS_FILE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + connectionFile, e);
    }
  }

  public Path connectionFile() {
    return connectionFile;
  }

  /**
   * This run's S3 keys, AWS shared-credentials format ({@code AWS_SHARED_CREDENTIALS_FILE} for the
   * aws CLI).
   */
  public Path credentialsFile() {
    return credentialsFile;
  }

  private static Map<String, Integer> ports(Path file) {
    Properties saved = new Properties();
    try {
      Files.createDirectories(file.getParent());
      if (Files.exists(file)) {
        try (Reader reader = Files.newBufferedReader(file)) {
          saved.load(reader);
        }
      }
      Map<String, Integer> ports = new LinkedHashMap<>();
      for (String name :
          new String[] {"kafka.port", "kafka.controller.port", "registry.port", "s3.port"}) {
        String value = saved.getProperty(name);
        ports.put(
            name,
            value != null
                ? Integer.parseInt(value)
                : PortGuard.freePortBelowEphemeralRange(Set.copyOf(ports.values())));
        saved.setProperty(name, String.valueOf(ports.get(name)));
      }
      try (Writer writer = Files.newBufferedWriter(file)) {
        saved.store(writer, "ports of the embedded servers, reused by later runs");
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + file, e);
    }
  }

  /** A port nothing listens on now, outside the range of outgoing connections' ports. */
  static int freePort() {
    return PortGuard.freePortBelowEphemeralRange(Set.of());
  }

  @Override
  public void close() {
    s3.close();
    registry.close();
    kafka.close();
  }
}
