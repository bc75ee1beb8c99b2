package org.lwise.stream.common;

import org.apache.kafka.common.serialization.Serde;

/** A topic together with its key and value serdes, so nobody pairs the wrong ones. */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {}
