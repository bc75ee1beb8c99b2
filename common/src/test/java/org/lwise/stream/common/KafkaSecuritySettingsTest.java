package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.Test;

class KafkaSecuritySettingsTest {
  static final String JAAS =
      "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"s3cret\";";

  static Map<String, String> settings(String bootstrap) {
    Map<String, String> settings =
        new HashMap<>(Map.of("bootstrap.servers", bootstrap, "registry.url", "http://r"));
    settings.put("kafka.security.protocol", "SASL_SSL");
    settings.put("kafka.sasl.mechanism", "PLAIN");
    settings.put("kafka.sasl.jaas.config", JAAS);
    settings.put("kafka.ssl.truststore.location", "/etc/lwise/ca.p12");
    settings.put("kafka.ssl.truststore.password", "changeit");
    return settings;
  }

  @Test
  void shouldHandTheSettingsUnderKafkasOwnNamesToEveryClientOfThatCluster() {
    ConnectionConfig connection = ConnectionConfig.from(settings("secure:9093"));
    Map<String, Object> props = KafkaClients.clientProperties("secure:9093");
    assertThat(props)
        .containsEntry("bootstrap.servers", "secure:9093")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "PLAIN")
        .containsEntry("ssl.truststore.location", "/etc/lwise/ca.p12")
        .containsEntry("sasl.jaas.config", new Password(JAAS))
        .doesNotContainKeys("ssl.keystore.location", "ssl.endpoint.identification.algorithm");
    assertThat(connection.kafkaClientProperties()).isEqualTo(props);
    // Another cluster in the same JVM (a test's plain broker) is not touched.
    assertThat(KafkaClients.clientProperties("plain:9092")).containsOnlyKeys("bootstrap.servers");
  }

  @Test
  void shouldNeverShowTheSecrets() {
    ConnectionConfig connection = ConnectionConfig.from(settings("hidden:9093"));
    assertThat(connection.toString()).doesNotContain("s3cret", "changeit").contains("[hidden]");
    assertThat(
            new AbstractConfig(
                    ConnectionConfig.define(new ConfigDef()), settings("hidden:9093"), false)
                .values()
                .toString())
        .doesNotContain("s3cret", "changeit");
  }

  @Test
  void shouldLeaveBlankSettingsToKafkasDefaultsAndRefuseAnUnknownProtocol() {
    Map<String, String> blank =
        new HashMap<>(
            Map.of(
                "bootstrap.servers",
                "blank:9092",
                "registry.url",
                "http://r",
                "kafka.security.protocol",
                "",
                "kafka.sasl.jaas.config",
                "",
                "kafka.ssl.endpoint.identification.algorithm",
                ""));
    ConnectionConfig.from(blank);
    // An empty host name check is Kafka's way to turn it off: that one is passed on.
    assertThat(KafkaClients.clientProperties("blank:9092"))
        .containsOnly(
            Map.entry("bootstrap.servers", "blank:9092"),
            Map.entry("ssl.endpoint.identification.algorithm", ""));
    blank.put("kafka.security.protocol", "TLS");
    assertThatThrownBy(() -> ConnectionConfig.from(blank))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.security.protocol")
        .hasMessageContaining("SASL_SSL");
  }
}
