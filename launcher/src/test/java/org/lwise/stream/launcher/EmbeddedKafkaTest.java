package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaTest {
  @Test
  void shouldNameTheBrokersLogWhenKafkaEndsTheProcess() {
    assertThat(EmbeddedKafka.fatalFault(1, null, Path.of("/out/.embedded/kafka.log")))
        .isEqualTo(
            "The embedded Kafka broker hit a fatal error and ends this process with exit code 1;"
                + " the cause is in /out/.embedded/kafka.log");
  }
}
