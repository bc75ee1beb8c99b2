package org.lwise.stream.common;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Where the shared infrastructure is: Kafka, the schema registry and S3. Every stage's config
 * embeds one. S3 credentials are NOT configured here: they come from the AWS SDK's default provider
 * chain (environment, system properties, profile, instance role) and are never logged, or from the
 * AWS shared-credentials file that {@code s3.credentials.file} names (a path, never a secret).
 *
 * <p>Kafka's client security settings (TLS, SASL) are the {@code kafka.}-prefixed keys of {@link
 * #KAFKA_SECURITY_KEYS}: {@code kafka.sasl.jaas.config} is Kafka's {@code sasl.jaas.config}, handed
 * to every producer, consumer, admin and Kafka Streams client of the process. The secret ones are
 * {@link Type#PASSWORD}, so they print as {@code [hidden]} wherever a config is shown.
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
    Duration retryTimeout,
    String groupProtocol,
    Map<String, Object> kafkaSecurity) {

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

  /**
   * Rebalance protocol of the gpu-worker and uploader groups: Kafka's {@code group.protocol},
   * {@code classic} or {@code consumer} (KIP-848).
   */
  public static final String KAFKA_GROUP_PROTOCOL = "kafka.group.protocol";

  /**
   * Prefix of the Kafka client settings passed through: {@code kafka.X} is the client's {@code X}.
   */
  public static final String KAFKA_PREFIX = "kafka.";

  public static final String KAFKA_SECURITY_PROTOCOL = "kafka.security.protocol";
  public static final String KAFKA_SASL_MECHANISM = "kafka.sasl.mechanism";
  public static final String KAFKA_SASL_JAAS_CONFIG = "kafka.sasl.jaas.config";
  public static final String KAFKA_SSL_TRUSTSTORE_LOCATION = "kafka.ssl.truststore.location";
  public static final String KAFKA_SSL_TRUSTSTORE_PASSWORD = "kafka.ssl.truststore.password";
  public static final String KAFKA_SSL_TRUSTSTORE_TYPE = "kafka.ssl.truststore.type";
  public static final String KAFKA_SSL_KEYSTORE_LOCATION = "kafka.ssl.keystore.location";
  public static final String KAFKA_SSL_KEYSTORE_PASSWORD = "kafka.ssl.keystore.password";
  public static final String KAFKA_SSL_KEYSTORE_TYPE = "kafka.ssl.keystore.type";
  public static final String KAFKA_SSL_KEY_PASSWORD = "kafka.ssl.key.password";
  public static final String KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM =
      "kafka.ssl.endpoint.identification.algorithm";

  private static final List<String> SECURITY_PROTOCOLS =
      List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");

  /** Every passed-through key; unset ones (null) leave the Kafka client's default. */
  public static final List<String> KAFKA_SECURITY_KEYS =
      List.of(
          KAFKA_SECURITY_PROTOCOL,
          KAFKA_SASL_MECHANISM,
          KAFKA_SASL_JAAS_CONFIG,
          KAFKA_SSL_TRUSTSTORE_LOCATION,
          KAFKA_SSL_TRUSTSTORE_PASSWORD,
          KAFKA_SSL_TRUSTSTORE_TYPE,
          KAFKA_SSL_KEYSTORE_LOCATION,
          KAFKA_SSL_KEYSTORE_PASSWORD,
          KAFKA_SSL_KEYSTORE_TYPE,
          KAFKA_SSL_KEY_PASSWORD,
          KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM);

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
            "how long a stage keeps retrying an unreachable registry, broker or S3 store before it stops")
        .define(
            KAFKA_GROUP_PROTOCOL,
            Type.STRING,
            "classic",
            ConfigDef.ValidString.in("classic", "consumer"),
            Importance.LOW,
            "rebalance protocol of the gpu-worker and uploader groups: classic (session timeout 15 s, "
                + "every member pauses while the group rebalances) or consumer (KIP-848, Kafka 4.0+: "
                + "the broker moves only the partitions that change owner; its "
                + "group.consumer.session.timeout.ms and group.consumer.heartbeat.interval.ms apply)")
        // No defaults of our own: unset keys leave Kafka's (PLAINTEXT, no SASL, JKS, https host
        // check).
        .define(
            KAFKA_SECURITY_PROTOCOL,
            Type.STRING,
            null,
            ConfigDef.LambdaValidator.with(
                (name, value) -> {
                  if (value != null
                      && !((String) value).isBlank()
                      && !SECURITY_PROTOCOLS.contains(((String) value).toUpperCase(Locale.ROOT))) {
                    throw new ConfigException(
                        name, value, "one of " + String.join(", ", SECURITY_PROTOCOLS));
                  }
                },
                () -> String.join(", ", SECURITY_PROTOCOLS)),
            Importance.MEDIUM,
            "Kafka clients' security.protocol: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
        .define(
            KAFKA_SASL_MECHANISM,
            Type.STRING,
            null,
            Importance.MEDIUM,
            "Kafka clients' sasl.mechanism, e.g. PLAIN, SCRAM-SHA-512")
        .define(
            KAFKA_SASL_JAAS_CONFIG,
            Type.PASSWORD,
            null,
            Importance.MEDIUM,
            "Kafka clients' sasl.jaas.config (a secret: LWISE_KAFKA_SASL_JAAS_CONFIG or an owner-only file)")
        .define(
            KAFKA_SSL_TRUSTSTORE_LOCATION,
            Type.STRING,
            null,
            Importance.LOW,
            "Kafka clients' ssl.truststore.location: the CA certificates the brokers' certificates are checked against")
        .define(
            KAFKA_SSL_TRUSTSTORE_PASSWORD,
            Type.PASSWORD,
            null,
            Importance.LOW,
            "Kafka clients' ssl.truststore.password (a secret)")
        .define(
            KAFKA_SSL_TRUSTSTORE_TYPE,
            Type.STRING,
            null,
            Importance.LOW,
            "Kafka clients' ssl.truststore.type: JKS, PKCS12 or PEM")
        .define(
            KAFKA_SSL_KEYSTORE_LOCATION,
            Type.STRING,
            null,
            Importance.LOW,
            "Kafka clients' ssl.keystore.location: this host's certificate and key (mutual TLS)")
        .define(
            KAFKA_SSL_KEYSTORE_PASSWORD,
            Type.PASSWORD,
            null,
            Importance.LOW,
            "Kafka clients' ssl.keystore.password (a secret)")
        .define(
            KAFKA_SSL_KEYSTORE_TYPE,
            Type.STRING,
            null,
            Importance.LOW,
            "Kafka clients' ssl.keystore.type: JKS, PKCS12 or PEM")
        .define(
            KAFKA_SSL_KEY_PASSWORD,
            Type.PASSWORD,
            null,
            Importance.LOW,
            "Kafka clients' ssl.key.password (a secret)")
        .define(
            KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM,
            Type.STRING,
            null,
            Importance.LOW,
            "Kafka clients' ssl.endpoint.identification.algorithm; empty turns the broker host name check off");
  }

  /**
   * The set {@code kafka.*} settings under the Kafka clients' own names; secrets stay {@code
   * Password}s.
   */
  static Map<String, Object> kafkaSecurity(AbstractConfig parsed) {
    Map<String, Object> security = new LinkedHashMap<>();
    for (String key : KAFKA_SECURITY_KEYS) {
      Object value = parsed.values().get(key);
      // Blank is unset (Compose's ${VAR:-} gives ""), except where Kafka gives "" a meaning of its
      // own.
      boolean blank =
          value == null || (value instanceof Password p ? p.value() : value.toString()).isBlank();
      if (!blank || (value != null && key.equals(KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM))) {
        security.put(key.substring(KAFKA_PREFIX.length()), value);
      }
    }
    return Map.copyOf(security);
  }

  /**
   * Settings every Kafka client of this connection starts from: the bootstrap servers and the
   * security keys.
   */
  public Map<String, Object> kafkaClientProperties() {
    Map<String, Object> props = new LinkedHashMap<>(kafkaSecurity);
    props.put("bootstrap.servers", bootstrapServers);
    return props;
  }

  /**
   * A stage consumer's own settings plus its group's rebalance protocol ({@code group.protocol});
   * {@link KafkaClients#readCommittedConsumer} sets the session timeout only for the classic one.
   */
  public Map<String, Object> stageConsumerSettings(Map<String, Object> own) {
    Map<String, Object> settings = new LinkedHashMap<>(own);
    settings.put("group.protocol", groupProtocol);
    return settings;
  }

  public static ConnectionConfig from(AbstractConfig parsed) {
    S3Layout layout =
        new S3Layout(
            S3Layout.Mode.valueOf(
                parsed.getString(S3_LAYOUT).toUpperCase(Locale.ROOT).replace('-', '_')),
            parsed.getString(S3_BUCKET_PREFIX),
            parsed.getString(S3_BUCKET),
            parsed.getString(S3_URL_TEMPLATE));
    Map<String, Object> security = kafkaSecurity(parsed);
    // Clients deep in the stages are made from the bootstrap string alone: they find these there.
    KafkaClients.useSecurity(parsed.getString(BOOTSTRAP_SERVERS), security);
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
        Duration.ofMillis(parsed.getLong(RETRY_TIMEOUT_MS)),
        parsed.getString(KAFKA_GROUP_PROTOCOL),
        security);
  }

  /** Parses just the connection keys (used by tools that need nothing else). */
  public static ConnectionConfig from(Map<String, ?> props) {
    return from(new AbstractConfig(define(new ConfigDef()), props, false));
  }
}
