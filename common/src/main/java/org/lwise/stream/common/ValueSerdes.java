package org.lwise.stream.common;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * Makes the value serde of each record type: the registry's in production, plain Avro in topology
 * tests.
 */
public interface ValueSerdes {
  <T extends SpecificRecord> Serde<T> value(Class<T> type);
}
