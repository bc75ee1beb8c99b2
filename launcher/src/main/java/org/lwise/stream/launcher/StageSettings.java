package org.lwise.stream.launcher;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.lwise.stream.aggregator.AggregatorConfig;
import org.lwise.stream.common.ConfigSources;
import org.lwise.stream.ingest.IngestConfig;
import org.lwise.stream.uploader.UploaderConfig;
import org.lwise.stream.worker.WorkerConfig;

/**
 * The settings every command starts from: properties file, then LWISE_* environment variables
 * ({@link ConfigSources}). One file configures all four stages, so a key that none of them defines
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

  /** Every key a stage or the embedded servers define. */
  static final Set<String> KNOWN =
      Stream.of(
              IngestConfig.DEFINITION,
              WorkerConfig.DEFINITION,
              AggregatorConfig.DEFINITION,
              UploaderConfig.DEFINITION,
              EMBEDDED_DEFINITION)
          .map(ConfigDef::names)
          .flatMap(Set::stream)
          .collect(Collectors.toCollection(TreeSet::new));

  /**
   * LWISE_JAVA_OPTS, LWISE_LOG_FILE and LWISE_MAVEN_ARGS are read by the lwise script, not by a
   * stage.
   */
  private static final Set<String> SCRIPT_ONLY = Set.of("java.opts", "log.file", "maven.args");

  private StageSettings() {}

  /** The merged settings of {@code file} (may be null) and the environment, all keys known. */
  static Map<String, String> load(Path file, Map<String, String> environment) {
    Map<String, String> fromFile = file == null ? Map.of() : ConfigSources.readProperties(file);
    requireKnown(fromFile, "in " + file);
    Map<String, String> fromEnvironment = new HashMap<>(ConfigSources.fromEnvironment(environment));
    fromEnvironment.keySet().removeAll(SCRIPT_ONLY);
    requireKnown(fromEnvironment, "from the environment (LWISE_*)");
    return ConfigSources.merge(fromFile, fromEnvironment, Map.of());
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
    Set<String> unknown = new TreeSet<>(settings.keySet());
    unknown.removeAll(KNOWN);
    if (unknown.isEmpty()) {
      return;
    }
    String key = unknown.iterator().next();
    String group = key.contains(".") ? key.substring(0, key.indexOf('.') + 1) : key;
    Set<String> sameGroup =
        KNOWN.stream()
            .filter(k -> k.startsWith(group))
            .collect(Collectors.toCollection(TreeSet::new));
    throw new IllegalArgumentException(
        "unknown setting"
            + (unknown.size() > 1 ? "s " + unknown : " '" + key + "'")
            + " "
            + where
            + "; "
            + (sameGroup.isEmpty()
                ? "the settings are listed in README \"Configuration\""
                : "the " + group + "* settings are " + String.join(", ", sameGroup)));
  }
}
