package org.lwise.stream.common;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/**
 * Where the shared infrastructure is: Kafka, the schema registry and S3. Every stage's config
 * embeds one. S3 credentials are NOT configured here: they come from the AWS SDK's default provider
 * chain (environment, system properties, profile, instance role) and are never logged, or from the
 * AWS shared-credentials file that {@code s3.credentials.file} names (a path, never a secret).
 */
public record ConnectionConfig(
    String bootstrapServers,
    String registryUrl,
    int topicPartitions,
    String s3Endpoint,
    String s3Region,
    String s3CredentialsFile,
    boolean s3PathStyle,
    boolean s3PublicRead,
    S3Layout s3Layout,
    Duration retryTimeout) {

  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String REGISTRY_URL = "registry.url";
  public static final String TOPIC_PARTITIONS = "topic.partitions";
  public static final String S3_ENDPOINT = "s3.endpoint";
  public static final String S3_REGION = "s3.region";
  public static final String S3_CREDENTIALS_FILE = "s3.credentials.file";
  public static final String S3_PATH_STYLE = "s3.path.style";
  public static final String S3_ACL = "s3.acl";
  public static final String S3_LAYOUT = "s3.layout";
  public static final String S3_BUCKET_PREFIX = "s3.bucket.prefix";
  public static final String S3_BUCKET = "s3.bucket";
  public static final String S3_URL_TEMPLATE = "s3.url.template";
  public static final String RETRY_TIMEOUT_MS = "retry.timeout.ms";

  /** Adds the connection keys to a stage's definition. */
  public static ConfigDef define(ConfigDef def) {
    return def.define(
            BOOTSTRAP_SERVERS,
            Type.STRING,
            ConfigDef.NO_DEFAULT_VALUE,
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            "Kafka bootstrap servers, host:port[,host:port]")
        .define(
            REGISTRY_URL,
            Type.STRING,
            ConfigDef.NO_DEFAULT_VALUE,
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            "Apicurio registry v2 API, e.g. http://127.0.0.1:8080/apis/registry/v2")
        .define(
            TOPIC_PARTITIONS,
            Type.INT,
            8,
            ConfigDef.Range.between(1, 1024),
            Importance.MEDIUM,
            "partitions of the pipeline topics when this stage creates them; bounds how many gpu-workers share a job")
        .define(
            S3_ENDPOINT,
            Type.STRING,
            "",
            Importance.HIGH,
            "S3 endpoint URL; empty = AWS for the region")
        .define(S3_REGION, Type.STRING, "us-east-1", Importance.MEDIUM, "S3 region")
        .define(
            S3_CREDENTIALS_FILE,
            Type.STRING,
            "",
            Importance.LOW,
            "AWS shared-credentials file whose [default] profile signs S3 requests; empty = the SDK's default chain")
        .define(
            S3_PATH_STYLE,
            Type.BOOLEAN,
            false,
            Importance.LOW,
            "path-style S3 requests (S3Proxy, MinIO)")
        .define(
            S3_ACL,
            Type.STRING,
            "public-read",
            ValidString.in("public-read", "none"),
            Importance.MEDIUM,
            "canned ACL of uploaded objects: public-read (participants' browsers fetch them) or none (bucket policy decides)")
        .define(
            S3_LAYOUT,
            Type.STRING,
            "bucket-per-condition",
            ValidString.in("bucket-per-condition", "prefix-per-condition"),
            Importance.MEDIUM,
            "one bucket per condition (the reference layout) or one prefix per condition in s3.bucket")
        .define(
            S3_BUCKET_PREFIX,
            Type.STRING,
            "lwise",
            Importance.MEDIUM,
            "first part of bucket names: <prefix>-<dataset>-<condition>")
        .define(
            S3_BUCKET,
            Type.STRING,
            "",
            Importance.MEDIUM,
            "the bucket of s3.layout=prefix-per-condition, and of staged large inputs")
        .define(
            S3_URL_TEMPLATE,
            Type.STRING,
            S3Layout.AWS_URL_TEMPLATE,
            Importance.MEDIUM,
            "URL written to dirmaps; {bucket} and {key} are substituted")
        .define(
            RETRY_TIMEOUT_MS,
            Type.LONG,
            600_000L,
            ConfigDef.Range.atLeast(1_000),
            Importance.MEDIUM,
            "how long a stage keeps retrying an unreachable registry, broker or S3 store before it stops");
  }

  public static ConnectionConfig from(AbstractConfig parsed) {
    S3Layout layout =
        new S3Layout(
            S3Layout.Mode.valueOf(
                parsed.getString(S3_LAYOUT).toUpperCase(Locale.ROOT).replace('-', '_')),
            parsed.getString(S3_BUCKET_PREFIX),
            parsed.getString(S3_BUCKET),
            parsed.getString(S3_URL_TEMPLATE));
    return new ConnectionConfig(
        parsed.getString(BOOTSTRAP_SERVERS),
        parsed.getString(REGISTRY_URL),
        parsed.getInt(TOPIC_PARTITIONS),
        parsed.getString(S3_ENDPOINT),
        parsed.getString(S3_REGION),
        parsed.getString(S3_CREDENTIALS_FILE),
        parsed.getBoolean(S3_PATH_STYLE),
        parsed.getString(S3_ACL).equals("public-read"),
        layout,
        Duration.ofMillis(parsed.getLong(RETRY_TIMEOUT_MS)));
  }

  /** Parses just the connection keys (used by tools that need nothing else). */
  public static ConnectionConfig from(Map<String, ?> props) {
    return from(new AbstractConfig(define(new ConfigDef()), props, false));
  }
}
