package org.lwise.stream.launcher;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.lwise.stream.aggregator.AggregatorConfig;
import org.lwise.stream.common.SettingsLoader;
import org.lwise.stream.common.stage.MonitoringSettings;
import org.lwise.stream.ingest.IngestConfig;
import org.lwise.stream.uploader.UploaderConfig;
import org.lwise.stream.worker.WorkerConfig;

/**
 * The settings every command starts from: properties file, then LWISE_* environment variables
 * ({@link SettingsLoader}). One file configures all four stages, so a key that none of them defines
 * is a typo that would silently leave a default in place: it is refused, naming the keys it may
 * have meant.
 */
final class StageSettings {
  static final String S3_CORS_ORIGINS = "s3.cors.origins";

  /** Settings of the embedded servers, read by {@code lwise run} only (no stage uses them). */
  static final ConfigDef EMBEDDED_DEFINITION =
      new ConfigDef()
          .define(
              S3_CORS_ORIGINS,
              Type.LIST,
              EmbeddedS3.ANY_ORIGIN,
              Importance.LOW,
              "origins (scheme://host[:port]) whose web pages may GET the embedded S3 store's objects; * = any");

  /**
   * Every key a stage, the monitoring port or the embedded servers define; no other key is
   * accepted.
   */
  static final SettingsLoader LOADER =
      SettingsLoader.strict(
          List.of(
              IngestConfig.DEFINITION,
              WorkerConfig.DEFINITION,
              AggregatorConfig.DEFINITION,
              UploaderConfig.DEFINITION,
              MonitoringSettings.DEFINITION,
              EMBEDDED_DEFINITION));

  static final Set<String> KNOWN = LOADER.known();

  private StageSettings() {}

  /** The merged settings of {@code file} (may be null) and the environment, all keys known. */
  static Map<String, String> load(Path file, Map<String, String> environment) {
    return LOADER.load(file, environment);
  }

  static Map<String, String> load(Path file) {
    return load(file, System.getenv());
  }

  /**
   * The settings of {@code lwise run}, later layers winning for every key: the run's defaults, the
   * embedded servers' connection (empty with your own servers), your settings ({@link #load}: file,
   * then environment), the command line. So a file's {@code s3.url.template} beats the embedded
   * store's URL, and {@code --model} beats a file's {@code worker.model.card}.
   */
  static Map<String, String> forRun(
      Map<String, String> defaults,
      Map<String, String> embeddedConnection,
      Map<String, String> userSettings,
      Map<String, String> commandLine) {
    Map<String, String> merged = new HashMap<>(defaults);
    merged.putAll(embeddedConnection);
    merged.putAll(userSettings);
    merged.putAll(commandLine);
    return merged;
  }

  /** {@code s3.cors.origins} of these settings (default: any origin). */
  static List<String> corsOrigins(Map<String, String> settings) {
    return new AbstractConfig(EMBEDDED_DEFINITION, settings, false).getList(S3_CORS_ORIGINS);
  }

  static void requireKnown(Map<String, String> settings, String where) {
    LOADER.requireKnown(settings, where);
  }
}
