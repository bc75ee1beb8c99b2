package org.lwise.stream.common;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro serdes backed by the schema registry, writing Confluent's wire format (magic byte 0, 4-byte
 * schema id, Avro body) so that Confluent clients can read our topics. Apicurio's serde does the
 * work; Confluent's own Java serde is not available from Maven Central.
 */
public final class RegistrySerdes {
  /** Avro refuses to instantiate generated classes outside trusted packages. */
  public static final String TRUSTED_PACKAGES_PROPERTY = "org.apache.avro.SERIALIZABLE_PACKAGES";

  private final Map<String, Object> config;

  public RegistrySerdes(String registryUrl) {
    trustSchemaPackage();
    this.config = Map.of(
        "apicurio.registry.url", registryUrl,
        "apicurio.registry.auto-register", "true",
        "apicurio.registry.as-confluent", "true",
        // The Confluent-compatible id is the content id, not Apicurio's global id.
        "apicurio.registry.use-id", "contentId",
        "apicurio.registry.headers.enabled", "false",
        "apicurio.registry.use-specific-avro-reader", "true");
  }

  /** Adds our generated classes' package to Avro's trusted list, keeping what was there. */
  static void trustSchemaPackage() {
    String ours = "org.lwise.stream.schema";
    String current = System.getProperty(TRUSTED_PACKAGES_PROPERTY);
    if (current == null || current.isBlank()) {
      System.setProperty(TRUSTED_PACKAGES_PROPERTY, ours);
    } else if (!current.contains(ours)) {
      System.setProperty(TRUSTED_PACKAGES_PROPERTY, current + "," + ours);
    }
  }

  public <T extends SpecificRecord> Serde<T> value() {
    Serializer<T> serializer = new AvroKafkaSerializer<>();
    serializer.configure(config, false);
    Deserializer<T> deserializer = new AvroKafkaDeserializer<>();
    deserializer.configure(config, false);
    return Serdes.serdeFrom(serializer, deserializer);
  }

  /** The registry settings, for Kafka Streams' default serde configuration. */
  public Map<String, Object> config() {
    return config;
  }
}
