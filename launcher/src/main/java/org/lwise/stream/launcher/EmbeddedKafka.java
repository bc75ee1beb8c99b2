package org.lwise.stream.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node KRaft Kafka broker (broker and controller in one), run in this JVM from the
 * Maven-resolved Kafka jars. Its log lives in {@code dataDir}, so a second run finds its topics,
 * committed offsets and transactions again. {@link #stop()} and {@link #start()} take it down and
 * bring it back on the same port with the same data (fault tests: clients must outlive a restart).
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final Properties props;
  private final Path dataDir;
  private final String bootstrapServers;
  private KafkaRaftServer server; // null while stopped

  private EmbeddedKafka(Properties props, Path dataDir, String bootstrapServers) {
    this.props = props;
    this.dataDir = dataDir;
    this.bootstrapServers = bootstrapServers;
  }

  public static EmbeddedKafka start(Path dataDir, int port, int controllerPort) {
    return start(dataDir, port, controllerPort, Map.of());
  }

  /**
   * The same broker with {@code overrides} on top of its server properties, e.g. a second
   * SASL_PLAINTEXT listener for the security tests. Readiness is still checked on the PLAINTEXT
   * port.
   */
  public static EmbeddedKafka start(
      Path dataDir, int port, int controllerPort, Map<String, String> overrides) {
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dataDir, e);
    }
    Properties props = serverProperties(dataDir.resolve("log"), port, controllerPort);
    props.putAll(overrides);
    Path propsFile = dataDir.resolve("server.properties");
    try (Writer writer = Files.newBufferedWriter(propsFile)) {
      props.store(writer, "L-WISE Stream embedded broker");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + propsFile, e);
    }
    format(dataDir, propsFile);
    EmbeddedKafka kafka = new EmbeddedKafka(props, dataDir, "127.0.0.1:" + port);
    kafka.start();
    return kafka;
  }

  /** Starts the broker (again) on its port with its data; does nothing if it is running. */
  public synchronized void start() {
    if (server != null) {
      return;
    }
    reportFatalFaultsOnTheConsole(dataDir.resolveSibling("kafka.log"));
    KafkaRaftServer started = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    started.startup();
    server = started;
    awaitReady(Duration.ofSeconds(60));
    log.info("Kafka broker ready on {} (data in {})", bootstrapServers, dataDir);
  }

  /**
   * A fatal fault in the broker (a port it cannot bind, a corrupt log) makes Kafka end the process
   * it runs in, which is the whole {@code lwise run}: say why on the console before it ends, not
   * only in the broker's log file.
   */
  private static void reportFatalFaultsOnTheConsole(Path brokerLog) {
    Exit.setHaltProcedure(
        (code, message) -> {
          System.err.println(fatalFault(code, message, brokerLog));
          Runtime.getRuntime().halt(code);
        });
    Exit.setExitProcedure(
        (code, message) -> {
          System.err.println(fatalFault(code, message, brokerLog));
          Runtime.getRuntime().exit(code);
        });
  }

  static String fatalFault(int code, String message, Path brokerLog) {
    return "The embedded Kafka broker hit a fatal error"
        + (message == null || message.isBlank() ? "" : " (" + message + ")")
        + " and ends this process with exit code "
        + code
        + "; the cause is in "
        + brokerLog;
  }

  /** Stops the broker, keeping its data; clients see it as unreachable until {@link #start()}. */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    server.shutdown();
    server.awaitShutdown();
    server = null;
    log.info("Kafka broker on {} stopped", bootstrapServers);
  }

  /** Formats the log folder once; later starts find it formatted and keep their data. */
  private static void format(Path dataDir, Path propsFile) {
    Path clusterIdFile = dataDir.resolve("cluster.id");
    try {
      String clusterId;
      if (Files.exists(clusterIdFile)) {
        clusterId = Files.readString(clusterIdFile).strip();
      } else {
        clusterId = Uuid.randomUuid().toString();
        Files.writeString(clusterIdFile, clusterId);
      }
      ByteArrayOutputStream output = new ByteArrayOutputStream();
      int status =
          StorageTool.execute(
              new String[] {
                "format",
                "--standalone",
                "--ignore-formatted",
                "-t",
                clusterId,
                "-c",
                propsFile.toString()
              },
              new PrintStream(output, true, StandardCharsets.UTF_8));
      if (status != 0) {
        throw new IllegalStateException(
            "formatting Kafka storage failed: " + output.toString(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare Kafka storage in " + dataDir, e);
    }
  }

  static Properties serverProperties(Path logDir, int port, int controllerPort) {
    Properties p = new Properties();
    p.putAll(
        Map.ofEntries(
            Map.entry("process.roles", "broker,controller"),
            Map.entry("node.id", "1"),
            Map.entry("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort),
            Map.entry(
                "listeners",
                "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort),
            Map.entry("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port),
            Map.entry("controller.listener.names", "CONTROLLER"),
            Map.entry("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"),
            Map.entry("inter.broker.listener.name", "PLAINTEXT"),
            Map.entry("log.dirs", logDir.toString()),
            // One node: every internal topic has one replica; few partitions keep start-up fast.
            Map.entry("offsets.topic.replication.factor", "1"),
            Map.entry("offsets.topic.num.partitions", "1"),
            Map.entry("transaction.state.log.replication.factor", "1"),
            Map.entry("transaction.state.log.min.isr", "1"),
            Map.entry("transaction.state.log.num.partitions", "4"),
            Map.entry("share.coordinator.state.topic.replication.factor", "1"),
            Map.entry("share.coordinator.state.topic.min.isr", "1"),
            Map.entry("group.initial.rebalance.delay.ms", "0"),
            Map.entry("group.consumer.heartbeat.interval.ms", "500"),
            Map.entry("group.consumer.min.heartbeat.interval.ms", "500"),
            // Groups on the consumer protocol (kafka.group.protocol=consumer) notice a killed
            // member as soon as classic ones do (KafkaClients.STAGE_SESSION_TIMEOUT_MS), not after
            // the broker's default 45 s.
            Map.entry("group.consumer.session.timeout.ms", "15000"),
            Map.entry("group.consumer.min.session.timeout.ms", "6000"),
            Map.entry("message.max.bytes", String.valueOf(17 * 1024 * 1024)),
            Map.entry("replica.fetch.max.bytes", String.valueOf(17 * 1024 * 1024)),
            Map.entry("num.partitions", "8"),
            Map.entry("log.retention.hours", "-1")));
    return p;
  }

  private void awaitReady(Duration timeout) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("embedded Kafka did not become ready within " + timeout, e);
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  @Override
  public void close() {
    stop();
  }
}
