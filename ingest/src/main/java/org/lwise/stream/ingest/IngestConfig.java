package org.lwise.stream.ingest;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.lwise.stream.common.ConnectionConfig;

/** Configuration of the ingest stage. */
public record IngestConfig(
    ConnectionConfig connection,
    int inlineImageMaxBytes,
    String stagingBucket,
    long watchIntervalMs,
    long watchMissingFileTimeoutMs) {

  public static final String INLINE_IMAGE_MAX_BYTES = "ingest.inline.image.max.bytes";
  public static final String STAGING_BUCKET = "ingest.staging.bucket";
  public static final String WATCH_INTERVAL_MS = "ingest.watch.interval.ms";
  public static final String WATCH_MISSING_FILE_TIMEOUT_MS = "ingest.watch.missing.file.timeout.ms";

  public static final ConfigDef DEFINITION =
      ConnectionConfig.define(new ConfigDef())
          .define(
              INLINE_IMAGE_MAX_BYTES,
              Type.INT,
              4 * 1024 * 1024,
              ConfigDef.Range.between(1024, 15 * 1024 * 1024),
              Importance.MEDIUM,
              "larger image files are staged in S3 and sent by reference")
          .define(
              STAGING_BUCKET,
              Type.STRING,
              "lwise-staging",
              Importance.LOW,
              "bucket where large input images are staged (key = their SHA-256)")
          .define(
              WATCH_INTERVAL_MS,
              Type.LONG,
              2000L,
              ConfigDef.Range.atLeast(100),
              Importance.LOW,
              "watch mode: how often the dirmap is checked for new rows")
          .define(
              WATCH_MISSING_FILE_TIMEOUT_MS,
              Type.LONG,
              600_000L,
              ConfigDef.Range.atLeast(0),
              Importance.LOW,
              "watch mode: how long a row waits for its image file to appear and stop changing size before it is "
                  + "dead-lettered; later rows are published meanwhile");

  public static IngestConfig from(Map<String, ?> props) {
    AbstractConfig parsed = new AbstractConfig(DEFINITION, props, false);
    return new IngestConfig(
        ConnectionConfig.from(parsed),
        parsed.getInt(INLINE_IMAGE_MAX_BYTES),
        parsed.getString(STAGING_BUCKET),
        parsed.getLong(WATCH_INTERVAL_MS),
        parsed.getLong(WATCH_MISSING_FILE_TIMEOUT_MS));
  }
}
