package org.lwise.stream.aggregator;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.lwise.stream.common.PlainAvroSerdes;
import org.lwise.stream.common.ValueSerdes;

/**
 * Avro serdes that behave like the registry's for TopologyTestDriver tests: the bytes name the
 * writer's schema (here its class name, before a NUL byte) and the reader returns the writer's
 * type, so a record of another schema on a topic comes out as that other type, as in production.
 */
final class TaggedAvroSerdes implements ValueSerdes {
  private final PlainAvroSerdes plain = new PlainAvroSerdes();

  @Override
  public <T extends SpecificRecord> Serde<T> value(Class<T> type) {
    Serde<T> body = plain.value(type);
    return Serdes.serdeFrom(
        (topic, value) -> {
          if (value == null) {
            return null;
          }
          byte[] name = (value.getClass().getName() + "\0").getBytes(StandardCharsets.UTF_8);
          byte[] avro = body.serializer().serialize(topic, value);
          byte[] bytes = Arrays.copyOf(name, name.length + avro.length);
          System.arraycopy(avro, 0, bytes, name.length, avro.length);
          return bytes;
        },
        (topic, bytes) -> bytes == null ? null : read(topic, bytes));
  }

  @SuppressWarnings("unchecked")
  private <T> T read(String topic, byte[] bytes) {
    int nul = 0;
    while (nul < bytes.length && bytes[nul] != 0) {
      nul++;
    }
    String name = new String(bytes, 0, nul, StandardCharsets.UTF_8);
    if (nul == bytes.length || !name.startsWith("org.lwise.stream.schema.")) {
      throw new SerializationException("unknown magic byte");
    }
    try {
      Class<? extends SpecificRecord> writer =
          (Class<? extends SpecificRecord>) Class.forName(name);
      return (T)
          plain
              .value(writer)
              .deserializer()
              .deserialize(topic, Arrays.copyOfRange(bytes, nul + 1, bytes.length));
    } catch (ClassNotFoundException e) {
      throw new SerializationException(e);
    }
  }
}
