package org.lwise.stream.common;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro serdes backed by the schema registry, writing Confluent's wire format (magic byte 0, 4-byte
 * schema id, Avro body) so that Confluent clients can read our topics. Apicurio's serde does the
 * work; Confluent's own Java serde is not available from Maven Central.
 */
public final class RegistrySerdes implements ValueSerdes {
  private static final String SCHEMA_PACKAGE = "org.lwise.stream.schema.";

  private final Map<String, Object> config;

  public RegistrySerdes(String registryUrl) {
    trustSchemaPackage();
    this.config =
        Map.of(
            "apicurio.registry.url", registryUrl,
            "apicurio.registry.auto-register", "true",
            "apicurio.registry.as-confluent", "true",
            "apicurio.registry.id-handler", "io.apicurio.registry.serde.Legacy4ByteIdHandler",
            // The Confluent-compatible id is the content id, not Apicurio's global id.
            "apicurio.registry.use-id", "contentId",
            "apicurio.registry.headers.enabled", "false",
            "apicurio.registry.use-specific-avro-reader", "true");
  }

  /**
   * Avro 1.12 refuses to instantiate generated classes outside trusted packages; the system
   * property it reads is fixed when Avro first loads, so our package is added through the API.
   */
  static synchronized void trustSchemaPackage() {
    ClassSecurityValidator.ClassSecurityPredicate current = ClassSecurityValidator.getGlobal();
    if (current instanceof SchemaPackage) {
      return;
    }
    ClassSecurityValidator.setGlobal(new SchemaPackage(current));
  }

  private record SchemaPackage(ClassSecurityValidator.ClassSecurityPredicate fallback)
      implements ClassSecurityValidator.ClassSecurityPredicate {
    @Override
    public boolean isTrusted(Class<?> type) {
      return type.getName().startsWith(SCHEMA_PACKAGE) || fallback.isTrusted(type);
    }
  }

  @Override
  public <T extends SpecificRecord> Serde<T> value(Class<T> type) {
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
