package org.lwise.stream.common.stage;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's metrics registry and, when {@code metrics.port} is set, its small HTTP server: {@code
 * GET /metrics} (Prometheus text), {@code /health/live} (200 while the process answers) and {@code
 * /health/ready} (200 once every stage in the process is ready, else 503). The JDK's server is
 * enough for three paths, and keeps this port apart from the aggregator's API.
 */
public final class StageMonitor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StageMonitor.class);
  private static final Path PROC_STATUS = Path.of("/proc/self/status");

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
  private final Map<String, BooleanSupplier> readiness = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final ExecutorService httpThread;
  private final String url;

  private StageMonitor(MonitoringSettings settings) {
    new JvmMemoryMetrics().bindTo(registry);
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    Gauge.builder("process.memory.rss", StageMonitor::residentBytes)
        .baseUnit("bytes")
        .description(
            "resident set size of this process (Linux; NaN elsewhere): the JVM heap plus native memory such as libtorch's")
        .register(registry);
    if (!settings.enabled()) {
      this.server = null;
      this.httpThread = null;
      this.url = null;
      return;
    }
    try {
      server = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen on "
              + settings.host()
              + ":"
              + settings.port()
              + " ("
              + MonitoringSettings.PORT
              + "): "
              + e.getMessage(),
          e);
    }
    server.createContext(
        "/metrics",
        exchange ->
            answer(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    server.createContext("/health/live", exchange -> answer(exchange, 200, "text/plain", "live\n"));
    server.createContext(
        "/health/ready",
        exchange -> {
          boolean ready = isReady();
          answer(exchange, ready ? 200 : 503, "text/plain", readinessReport());
        });
    httpThread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "lwise-metrics-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(httpThread);
    server.start();
    url = "http://" + settings.host() + ":" + server.getAddress().getPort();
    log.info("Metrics and health on {} (/metrics, /health/live, /health/ready)", url);
  }

  /** The registry, and the HTTP server when {@code settings} enable it. */
  public static StageMonitor start(MonitoringSettings settings) {
    return new StageMonitor(settings);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /**
   * A stage of this process, ready when {@code ready} says so; the process is ready when all of
   * them are.
   */
  public void addReadinessCheck(String stage, BooleanSupplier ready) {
    readiness.put(stage, ready);
  }

  public boolean isReady() {
    return !readiness.isEmpty()
        && readiness.values().stream().allMatch(BooleanSupplier::getAsBoolean);
  }

  /** {@code http://host:port} of the endpoints, or null when {@code metrics.port} is 0. */
  public String url() {
    return url;
  }

  private String readinessReport() {
    return readiness.entrySet().stream()
        .map(e -> e.getKey() + ": " + (e.getValue().getAsBoolean() ? "ready" : "not ready"))
        .sorted()
        .collect(Collectors.joining("\n", "", "\n"));
  }

  private static void answer(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())
          && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", contentType);
      boolean head = "HEAD".equals(exchange.getRequestMethod());
      exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
      if (!head) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
    }
  }

  private static double residentBytes() {
    try {
      for (String line : Files.readAllLines(PROC_STATUS)) {
        if (line.startsWith("VmRSS:")) {
          return Double.parseDouble(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or /proc unreadable: the gauge says NaN.
    }
    return Double.NaN;
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
      httpThread.shutdownNow();
    }
    gcMetrics.close();
    registry.close();
  }
}
