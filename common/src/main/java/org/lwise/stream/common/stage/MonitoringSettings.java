package org.lwise.stream.common.stage;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Where a stage process serves {@code /metrics}, {@code /health/live} and {@code /health/ready}.
 * One key for every stage: each process reads it from its own settings (a separate file or {@code
 * LWISE_METRICS_PORT} per process), and {@code lwise run}, all stages in one JVM, serves one
 * endpoint for all of them.
 */
public record MonitoringSettings(int port, String host) {
  public static final String PORT = "metrics.port";
  public static final String HOST = "metrics.host";

  public static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(
              PORT,
              Type.INT,
              0,
              ConfigDef.Range.between(0, 65535),
              Importance.MEDIUM,
              "port of this process's /metrics (Prometheus), /health/live and /health/ready; 0 = off")
          .define(
              HOST,
              Type.STRING,
              "127.0.0.1",
              Importance.LOW,
              "address the metrics and health port listens on (0.0.0.0: every interface, e.g. in a container)");

  public static MonitoringSettings from(Map<String, String> settings) {
    AbstractConfig config = new AbstractConfig(DEFINITION, settings, false);
    return new MonitoringSettings(config.getInt(PORT), config.getString(HOST));
  }

  public boolean enabled() {
    return port > 0;
  }
}
