package org.lwise.stream.uploader;

import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.lwise.stream.common.ConnectionConfig;

/**
 * Configuration of the uploader.
 *
 * @param localDir when set, every image is also written to {@code
 *     <localDir>/<dataset>_<condition>/<path>}
 */
public record UploaderConfig(
    ConnectionConfig connection,
    String groupId,
    int concurrency,
    Path localDir,
    boolean checkExisting) {
  public static final String GROUP_ID = "uploader.group.id";
  public static final String CONCURRENCY = "uploader.concurrency";
  public static final String LOCAL_DIR = "uploader.local.dir";
  public static final String CHECK_EXISTING = "uploader.check.existing";

  /** {@link #CONCURRENCY}'s default (a constant, so command-line defaults can name it). */
  public static final int DEFAULT_CONCURRENCY = 32;

  public static final ConfigDef DEFINITION =
      ConnectionConfig.define(new ConfigDef())
          .define(
              GROUP_ID,
              Type.STRING,
              "lwise-uploader",
              Importance.MEDIUM,
              "consumer group of the uploaders")
          .define(
              CONCURRENCY,
              Type.INT,
              DEFAULT_CONCURRENCY,
              ConfigDef.Range.between(1, 1024),
              Importance.MEDIUM,
              "uploads in flight at once")
          .define(
              LOCAL_DIR,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "also write images under this folder in the reference layout; empty = S3 only")
          .define(
              CHECK_EXISTING,
              Type.BOOLEAN,
              false,
              Importance.LOW,
              "HEAD each object first and skip identical content (saves rewriting on replays); false (default) = PUT"
                  + " at once: half the requests per image, and a replay rewrites the same bytes under the same key");

  public static UploaderConfig from(Map<String, ?> props) {
    AbstractConfig parsed = new AbstractConfig(DEFINITION, props, false);
    String local = parsed.getString(LOCAL_DIR);
    return new UploaderConfig(
        ConnectionConfig.from(parsed),
        parsed.getString(GROUP_ID),
        parsed.getInt(CONCURRENCY),
        local.isBlank() ? null : Path.of(local),
        parsed.getBoolean(CHECK_EXISTING));
  }
}
