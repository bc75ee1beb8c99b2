package org.lwise.stream.aggregator;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.ValueSerdes;

/**
 * Registry-backed serdes whose calls survive a short registry outage: a schema lookup or
 * registration that fails because the registry cannot be reached is retried with backoff ({@link
 * InfrastructureRetry}) instead of failing the record. Bytes that are simply bad fail at once.
 */
final class RetryingValueSerdes implements ValueSerdes {
  private final ValueSerdes registry;
  private final InfrastructureRetry retry;

  RetryingValueSerdes(ValueSerdes registry, InfrastructureRetry retry) {
    this.registry = registry;
    this.retry = retry;
  }

  @Override
  public <T extends SpecificRecord> Serde<T> value(Class<T> type) {
    Serde<T> serde = registry.value(type);
    Serializer<T> serializer = serde.serializer();
    Deserializer<T> deserializer = serde.deserializer();
    return Serdes.serdeFrom(
        new Serializer<>() {
          @Override
          public byte[] serialize(String topic, T value) {
            return retry.get(() -> serializer.serialize(topic, value));
          }

          @Override
          public byte[] serialize(String topic, Headers headers, T value) {
            return retry.get(() -> serializer.serialize(topic, headers, value));
          }
        },
        new Deserializer<>() {
          @Override
          public T deserialize(String topic, byte[] data) {
            return retry.get(() -> deserializer.deserialize(topic, data));
          }

          @Override
          public T deserialize(String topic, Headers headers, byte[] data) {
            return retry.get(() -> deserializer.deserialize(topic, headers, data));
          }
        });
  }
}
