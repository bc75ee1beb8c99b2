package org.lwise.stream.aggregator;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * An input topic's value serde that refuses what is not a record of the topic's type: a null value
 * or a record of another schema (the registry serde returns whatever type the writer used). The
 * refusal is a deserialization error, so the record is dead-lettered before any processor sees it.
 */
final class ReadableValues {
  private ReadableValues() {}

  static <T> Serde<T> of(Class<T> type, Serde<T> serde) {
    Deserializer<T> inner = serde.deserializer();
    Deserializer<T> strict =
        new Deserializer<>() {
          @Override
          public T deserialize(String topic, byte[] data) {
            return check(topic, data, inner.deserialize(topic, data));
          }

          @Override
          public T deserialize(String topic, Headers headers, byte[] data) {
            return check(topic, data, inner.deserialize(topic, headers, data));
          }

          private T check(String topic, byte[] data, Object value) {
            if (data == null || value == null) {
              throw new SerializationException(topic + ": record has no value");
            }
            if (!type.isInstance(value)) {
              throw new SerializationException(
                  topic
                      + ": record is a "
                      + value.getClass().getSimpleName()
                      + ", not a "
                      + type.getSimpleName());
            }
            return type.cast(value);
          }
        };
    return Serdes.serdeFrom(serde.serializer(), strict);
  }
}
