package org.lwise.stream.common;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Byte-level Kafka clients with the settings every stage shares (exactly-once, large images). */
public final class KafkaClients {
  /** Images travel inline up to a few MB; the topics are created with a matching limit. */
  public static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  /**
   * Transaction timeout of the gpu-worker and the uploader, whose transactions hold only sends and
   * a commit (the slow work is done before they open). The broker aborts a dead member's open
   * transaction after this, so the rest of its job resumes within about a minute of a kill -9.
   */
  public static final int STAGE_TRANSACTION_TIMEOUT_MS = 30_000;

  /**
   * How soon the group notices a member that died without leaving (kill -9), and hands its
   * partitions on.
   */
  public static final int STAGE_SESSION_TIMEOUT_MS = 15_000;

  /**
   * TLS/SASL settings ({@code kafka.*} keys, see {@link ConnectionConfig}) by the bootstrap servers
   * they were configured with. Every client is built from a bootstrap string handed down through
   * many layers; keying the cluster's security by that string reaches them all without threading a
   * second argument through each, and keeps two clusters in one JVM (tests) apart.
   */
  private static final Map<String, Map<String, Object>> SECURITY = new ConcurrentHashMap<>();

  private KafkaClients() {}

  /**
   * Records the security settings of the cluster at {@code bootstrapServers} (empty: plaintext).
   */
  public static void useSecurity(String bootstrapServers, Map<String, Object> security) {
    if (security.isEmpty()) {
      SECURITY.remove(bootstrapServers);
    } else {
      SECURITY.put(bootstrapServers, Map.copyOf(security));
    }
  }

  /**
   * What every Kafka client (producer, consumer, admin, Kafka Streams) of the cluster at {@code
   * bootstrapServers} starts from: the servers and their security settings.
   */
  public static Map<String, Object> clientProperties(String bootstrapServers) {
    Map<String, Object> props = new HashMap<>(SECURITY.getOrDefault(bootstrapServers, Map.of()));
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return props;
  }

  /**
   * A consumer's max.poll.interval.ms that covers one retry period of {@code retry.timeout.ms} plus
   * a minute of work, and at least {@code floorMs}: a batch waiting out an outage keeps its group
   * membership.
   */
  public static int pollIntervalCovering(Duration retryTimeout, long floorMs) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(floorMs, retryTimeout.toMillis() + 60_000));
  }

  /** A transactional producer; call {@code initTransactions()} before use. */
  public static KafkaProducer<byte[], byte[]> transactionalProducer(
      String bootstrapServers, String transactionalId, Map<String, Object> overrides) {
    Map<String, Object> props = clientProperties(bootstrapServers);
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_MESSAGE_BYTES);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.putAll(overrides);
    return new KafkaProducer<>(props);
  }

  /** A consumer that only sees committed transactions and commits its offsets through them. */
  public static KafkaConsumer<byte[], byte[]> readCommittedConsumer(
      String bootstrapServers, String groupId, Map<String, Object> overrides) {
    Map<String, Object> props = clientProperties(bootstrapServers);
    if (groupId != null) {
      props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    }
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, MAX_MESSAGE_BYTES);
    // The consumer protocol (KIP-848) refuses client-side session and heartbeat settings: the
    // broker's group.consumer.* settings govern them.
    if (groupId != null
        && !"consumer".equals(overrides.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG))) {
      props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, STAGE_SESSION_TIMEOUT_MS);
      props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, STAGE_SESSION_TIMEOUT_MS / 5);
    }
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.putAll(overrides);
    return new KafkaConsumer<>(props);
  }
}
