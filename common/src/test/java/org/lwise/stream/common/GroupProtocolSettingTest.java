package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class GroupProtocolSettingTest {
  private static ConnectionConfig connection(String protocol) {
    return ConnectionConfig.from(
        Map.of(
            "bootstrap.servers", "127.0.0.1:1",
            "registry.url", "http://r",
            "kafka.group.protocol", protocol));
  }

  @Test
  void shouldDefaultToTheClassicProtocol() {
    ConnectionConfig plain =
        ConnectionConfig.from(Map.of("bootstrap.servers", "127.0.0.1:1", "registry.url", "r"));
    assertThat(plain.stageConsumerSettings(Map.of("max.poll.records", 4)))
        .containsEntry("group.protocol", "classic")
        .containsEntry("max.poll.records", 4);
  }

  @Test
  void shouldBuildAConsumerProtocolMemberWithoutClientSideSessionSettings() {
    // Kafka refuses session.timeout.ms and heartbeat.interval.ms under the consumer protocol: the
    // consumer would not even be constructed if the stage's classic settings were passed on.
    Map<String, Object> settings = connection("consumer").stageConsumerSettings(Map.of());
    try (var consumer = KafkaClients.readCommittedConsumer("127.0.0.1:1", "g", settings)) {
      assertThat(consumer.groupMetadata().groupId()).isEqualTo("g");
    }
    try (var consumer =
        KafkaClients.readCommittedConsumer(
            "127.0.0.1:1", "g", connection("classic").stageConsumerSettings(Map.of()))) {
      assertThat(consumer.groupMetadata().groupId()).isEqualTo("g");
    }
  }

  @Test
  void shouldRefuseAnUnknownProtocolNamingTheSetting() {
    assertThatThrownBy(() -> connection("eager"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.group.protocol");
  }
}
