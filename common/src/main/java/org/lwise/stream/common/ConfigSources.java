package org.lwise.stream.common;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Layers configuration the same way for every stage: defaults (declared in each stage's {@code
 * ConfigDef}) &lt; properties file &lt; environment ({@code LWISE_S3_ENDPOINT} sets {@code
 * s3.endpoint}) &lt; command-line overrides. Validation happens when the merged map is parsed by
 * the stage's {@code ConfigDef}.
 */
public final class ConfigSources {
  public static final String ENV_PREFIX = "LWISE_";

  private ConfigSources() {}

  public static Map<String, String> merge(
      Path propertiesFile, Map<String, String> environment, Map<String, String> overrides) {
    return merge(
        propertiesFile == null ? Map.of() : readProperties(propertiesFile),
        fromEnvironment(environment),
        overrides);
  }

  /**
   * The same layering for settings already read: {@code fromEnvironment} as {@link
   * #fromEnvironment} returns it.
   */
  public static Map<String, String> merge(
      Map<String, String> fromFile,
      Map<String, String> fromEnvironment,
      Map<String, String> overrides) {
    Map<String, String> merged = new HashMap<>(fromFile);
    merged.putAll(fromEnvironment);
    merged.putAll(overrides);
    return merged;
  }

  public static Map<String, String> readProperties(Path file) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read configuration file " + file, e);
    }
    Map<String, String> map = new HashMap<>();
    properties.stringPropertyNames().forEach(name -> map.put(name, properties.getProperty(name)));
    return map;
  }

  /** {@code LWISE_MAX_BATCH_SIZE=16} becomes {@code max.batch.size=16}. */
  public static Map<String, String> fromEnvironment(Map<String, String> environment) {
    Map<String, String> map = new HashMap<>();
    environment.forEach(
        (name, value) -> {
          if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
            map.put(
                name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'),
                value);
          }
        });
    return map;
  }
}
