package org.lwise.stream.launcher;

import io.apicurio.registry.rest.client.exception.RestClientException;
import java.time.Duration;
import java.util.function.Supplier;
import org.lwise.stream.common.ConnectionConfig;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.TransientFailures;

/**
 * How the client commands ({@code status}, {@code submit --wait}) read the topics: through {@link
 * InfrastructureRetry}, so a broker or registry restart only delays them, and, when a server stays
 * away for {@code retry.timeout.ms}, with one line that names it and its setting instead of the
 * client library's stack trace.
 */
final class InfrastructureOutage {
  private final InfrastructureRetry retry;
  private final ConnectionConfig connection;

  InfrastructureOutage(ConnectionConfig connection) {
    this.retry = new InfrastructureRetry(connection.retryTimeout());
    this.connection = connection;
  }

  /**
   * Runs a read, again while it fails transiently; gives up with a one-line {@link
   * IllegalStateException}.
   */
  <T> T retrying(Supplier<T> read) {
    long started = System.nanoTime();
    try {
      return retry.get(read);
    } catch (RuntimeException e) {
      if (!TransientFailures.isTransient(e)) {
        throw e;
      }
      throw new IllegalStateException(
          describe(e, Duration.ofNanos(System.nanoTime() - started)), e);
    }
  }

  /**
   * "Kafka at 127.0.0.1:9092 (bootstrap.servers) unreachable for 31 s (retry.timeout.ms = 30000)".
   */
  String describe(Throwable error, Duration waited) {
    String server;
    if (involves(error, "io.apicurio.")) {
      server =
          "Schema registry at "
              + connection.registryUrl()
              + " ("
              + ConnectionConfig.REGISTRY_URL
              + ")";
    } else if (involves(error, "org.apache.kafka.")) {
      server =
          "Kafka at "
              + connection.bootstrapServers()
              + " ("
              + ConnectionConfig.BOOTSTRAP_SERVERS
              + ")";
    } else {
      server =
          "Kafka at "
              + connection.bootstrapServers()
              + " ("
              + ConnectionConfig.BOOTSTRAP_SERVERS
              + ") or the schema registry at "
              + connection.registryUrl()
              + " ("
              + ConnectionConfig.REGISTRY_URL
              + ")";
    }
    return server
        + " unreachable for "
        + Math.max(1, Math.round(waited.toMillis() / 1000.0))
        + " s ("
        + ConnectionConfig.RETRY_TIMEOUT_MS
        + " = "
        + connection.retryTimeout().toMillis()
        + "): "
        + cause(error);
  }

  /**
   * The root cause in a few words; Apicurio's client keeps it in its error bean, not as a cause.
   */
  private static String cause(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof RestClientException registry && registry.getError() != null) {
        return registry.getError().getName() + ": " + registry.getError().getMessage();
      }
    }
    return InfrastructureRetry.rootMessage(error);
  }

  /**
   * Whether the error or one of its causes was thrown by code whose class name starts with {@code
   * prefix}.
   */
  private static boolean involves(Throwable error, String prefix) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getClass().getName().startsWith(prefix)) {
        return true;
      }
      for (StackTraceElement frame : t.getStackTrace()) {
        if (frame.getClassName().startsWith(prefix)) {
          return true;
        }
      }
    }
    return false;
  }
}
