package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.ConnectionConfig;

/**
 * The kafka.* security settings reach every Kafka client: a broker whose only listener for clients
 * is SASL_PLAINTEXT with PLAIN users takes a job from {@code lwise submit} (admin and transactional
 * producer) and lists it with {@code lwise jobs} and {@code lwise status} (consumers); a wrong
 * password stops a command at once with one line naming the settings to check, not the secret.
 */
class KafkaSaslIT {
  static final String LISTENER = "SASL_PLAINTEXT";
  @TempDir static Path tmp;
  static EmbeddedKafka kafka;
  static EmbeddedRegistry registry;
  static String saslBootstrap;

  @BeforeAll
  static void startBrokerWithSaslPlain() {
    int port = EmbeddedInfrastructure.freePort();
    int saslPort = EmbeddedInfrastructure.freePort();
    int controllerPort = EmbeddedInfrastructure.freePort();
    saslBootstrap = "127.0.0.1:" + saslPort;
    kafka =
        EmbeddedKafka.start(
            tmp.resolve("kafka"),
            port,
            controllerPort,
            saslPlainListener(port, saslPort, controllerPort));
    registry =
        EmbeddedRegistry.start(
            Launcher.registryJar(), tmp.resolve("registry"), EmbeddedInfrastructure.freePort());
  }

  /**
   * A second listener for clients, SASL_PLAINTEXT with the PLAIN users alice and admin; the broker
   * itself and the controller keep talking PLAINTEXT on loopback, as the embedded default does.
   */
  static Map<String, String> saslPlainListener(int port, int saslPort, int controllerPort) {
    String listenerPrefix = "listener.name." + LISTENER.toLowerCase() + ".plain.";
    return Map.of(
        "listeners",
        "PLAINTEXT://127.0.0.1:"
            + port
            + ","
            + LISTENER
            + "://127.0.0.1:"
            + saslPort
            + ",CONTROLLER://127.0.0.1:"
            + controllerPort,
        "advertised.listeners",
        "PLAINTEXT://127.0.0.1:" + port + "," + LISTENER + "://127.0.0.1:" + saslPort,
        "listener.security.protocol.map",
        "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT," + LISTENER + ":" + LISTENER,
        "sasl.enabled.mechanisms",
        "PLAIN",
        listenerPrefix + "sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "user_alice=\"alice-secret\" user_admin=\"admin-secret\";");
  }

  @AfterAll
  static void stopServers() {
    if (registry != null) {
      registry.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void shouldSubmitAndListAJobThroughSaslAndRefuseAWrongPassword() throws Exception {
    Path config = settings("alice", "alice-secret");
    Path dirmap = TestDataset.create(tmp);
    CommandRun submit =
        CommandRun.lwise(
            "submit",
            "--config",
            config.toString(),
            "--dirmap",
            dirmap.toString(),
            "--model",
            "../demo/models/fashion-cnn-standard",
            "--dataset",
            "sasl",
            "--eps",
            "1");
    System.out.print(submit.output());
    assertThat(submit.code()).as(submit.errors()).isZero();
    Matcher job = Pattern.compile("Job (\\S+): ").matcher(submit.output());
    assertThat(job.find()).as(submit.output()).isTrue();

    CommandRun jobs = CommandRun.lwise("jobs", "--config", config.toString());
    System.out.print(jobs.output());
    assertThat(jobs.code()).as(jobs.errors()).isZero();
    assertThat(jobs.output().lines().skip(1).findFirst().orElse("").split("\\s+"))
        .startsWith(job.group(1), "sasl", "fashion-cnn-standard", "running");

    CommandRun status = CommandRun.lwise("status", job.group(1), "--config", config.toString());
    assertThat(status.code())
        .as(status.errors() + status.output())
        .isEqualTo(3); // running: no stage is up

    CommandRun refused =
        CommandRun.lwise("jobs", "--config", settings("alice", "not-her-password").toString());
    System.out.print(refused.errors());
    assertThat(refused.code()).isNotZero();
    assertThat(refused.errors().strip())
        .startsWith(
            "lwise: Kafka at "
                + saslBootstrap
                + " (bootstrap.servers) refused this client's credentials")
        .contains(ConnectionConfig.KAFKA_SASL_JAAS_CONFIG, "Authentication failed")
        .doesNotContain("not-her-password")
        .doesNotContain("\n");
  }

  /**
   * A settings file as an operator would keep it (owner-only); LWISE_KAFKA_SASL_JAAS_CONFIG works
   * the same.
   */
  private static Path settings(String user, String password) throws IOException {
    Path file = tmp.resolve(user + "-" + password.hashCode() + ".properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "bootstrap.servers=" + saslBootstrap,
            "registry.url=" + registry.url(),
            "topic.partitions=2",
            "retry.timeout.ms=5000",
            "kafka.security.protocol=SASL_PLAINTEXT",
            "kafka.sasl.mechanism=PLAIN",
            "kafka.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                + user
                + "\" password=\""
                + password
                + "\";",
            ""));
    return file;
  }
}
