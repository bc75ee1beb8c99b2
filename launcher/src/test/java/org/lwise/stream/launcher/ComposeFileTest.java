package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import org.lwise.stream.aggregator.api.ApiSettings;
import org.lwise.stream.common.ConnectionConfig;
import org.lwise.stream.common.stage.MonitoringSettings;
import org.yaml.snakeyaml.Yaml;

/**
 * There is no Docker engine where this is built: the Compose files and the systemd unit are checked
 * by parsing them (SnakeYAML, which comes with jackson-dataformat-yaml, resolves anchors and merge
 * keys as Compose does) against the code's keys, ports and versions.
 */
@SuppressWarnings("unchecked")
class ComposeFileTest {
  static final Path COMPOSE = Path.of("../compose");
  static final Set<String> STAGE_COMMANDS = Set.of("worker", "uploader", "aggregator", "watch");

  static Map<String, Object> load(String file) throws IOException {
    return new Yaml().load(Files.readString(COMPOSE.resolve(file)));
  }

  static Map<String, Map<String, Object>> services(Map<String, Object> compose) {
    return (Map<String, Map<String, Object>>) compose.get("services");
  }

  static Map<String, String> environment(Map<String, Object> service) {
    Map<String, String> env = new HashMap<>();
    ((Map<String, Object>) service.getOrDefault("environment", Map.of()))
        .forEach((k, v) -> env.put(k, String.valueOf(v)));
    return env;
  }

  static List<String> command(Map<String, Object> service) {
    Object command = service.getOrDefault("command", List.of());
    return command instanceof String line
        ? List.of(line.split(" "))
        : ((List<Object>) command).stream().map(String::valueOf).toList();
  }

  static boolean isStage(Map<String, Object> service) {
    List<String> command = command(service);
    return !command.isEmpty() && STAGE_COMMANDS.contains(command.get(0));
  }

  /** The healthcheck's command as one string; empty when the service has none or disables it. */
  static String healthcheck(Map<String, Object> service) {
    Map<String, Object> check = (Map<String, Object>) service.get("healthcheck");
    if (check == null || Boolean.TRUE.equals(check.get("disable"))) {
      return "";
    }
    return String.join(
        " ", ((List<Object>) check.get("test")).stream().map(String::valueOf).toList());
  }

  @Test
  void shouldPinEveryImageToAVersion() throws IOException {
    for (String file : List.of("docker-compose.yml", "gpu-host.yml")) {
      services(load(file))
          .forEach(
              (name, service) ->
                  assertThat((String) service.get("image"))
                      .as(file + " " + name)
                      .matches("[^:]+:[^:]+")
                      .doesNotEndWith(":latest"));
    }
  }

  @Test
  void shouldRunTheBrokerOnTheKafkaLineOfTheClientsAndTheEmbeddedBroker() throws IOException {
    assertThat((String) services(load("docker-compose.yml")).get("kafka").get("image"))
        .isEqualTo("apache/kafka:" + AppInfoParser.getVersion());
  }

  @Test
  void shouldGiveEveryStageAHealthcheckOnItsMetricsPortAndWaitForHealthyDependencies()
      throws IOException {
    Map<String, Map<String, Object>> services = services(load("docker-compose.yml"));
    List<String> stages = new ArrayList<>();
    services.forEach(
        (name, service) -> {
          if (!isStage(service)) {
            return;
          }
          stages.add(name);
          Map<String, String> env = environment(service);
          assertThat(Integer.parseInt(env.get("LWISE_METRICS_PORT"))).as(name).isPositive();
          assertThat(env).as(name).containsEntry("LWISE_METRICS_HOST", "0.0.0.0");
          // $$ is Compose's escape: the container's shell reads the port from the variable above.
          assertThat(healthcheck(service))
              .as(name)
              .contains("/health/ready", "$${LWISE_METRICS_PORT}");
          Map<String, Map<String, String>> dependsOn =
              (Map<String, Map<String, String>>) service.get("depends_on");
          assertThat(dependsOn).as(name).containsOnlyKeys("kafka", "registry", "minio");
          dependsOn.forEach(
              (dependency, condition) -> {
                assertThat(condition)
                    .as(name + " on " + dependency)
                    .containsEntry("condition", "service_healthy");
                assertThat(healthcheck(services.get(dependency))).as(dependency).isNotEmpty();
              });
          assertThat(
                  Launcher.commandLine()
                      .parseArgs(command(service).toArray(String[]::new))
                      .errors())
              .as(name)
              .isEmpty();
        });
    assertThat(stages).contains("gpu-worker", "uploader", "aggregator");
    assertThat(healthcheck(services.get("registry"))).contains("/health/ready");
    assertThat((Map<String, Object>) services.get("registry").get("depends_on"))
        .containsKey("kafka");
  }

  @Test
  void shouldPublishTheApiAndMetricsPortsTheAggregatorListensOn() throws IOException {
    Map<String, Object> aggregator = services(load("docker-compose.yml")).get("aggregator");
    Map<String, String> env = environment(aggregator);
    assertThat(env)
        .containsEntry(
            "LWISE_" + ApiSettings.PORT.toUpperCase().replace('.', '_'),
            String.valueOf(ApiSettings.DEFAULT_PORT));
    assertThat(env)
        .containsEntry("LWISE_" + ApiSettings.HOST.toUpperCase().replace('.', '_'), "0.0.0.0");
    String metricsPort =
        env.get("LWISE_" + MonitoringSettings.PORT.toUpperCase().replace('.', '_'));
    assertThat((List<String>) aggregator.get("ports"))
        .contains(
            ApiSettings.DEFAULT_PORT + ":" + ApiSettings.DEFAULT_PORT,
            metricsPort + ":" + metricsPort);
  }

  @Test
  void shouldAdvertiseAnExternalListenerForClientsOnThePublicHost() throws IOException {
    Map<String, Object> kafka = services(load("docker-compose.yml")).get("kafka");
    Map<String, String> env = environment(kafka);
    assertThat(env.get("KAFKA_LISTENERS")).contains("EXTERNAL://:29092");
    assertThat(env.get("KAFKA_ADVERTISED_LISTENERS"))
        .contains("PLAINTEXT://kafka:9092", "EXTERNAL://${LWISE_PUBLIC_HOST:-localhost}:29092");
    assertThat(env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")).contains("EXTERNAL:PLAINTEXT");
    assertThat((List<String>) kafka.get("ports")).contains("29092:29092");
    // The host's own settings reach Kafka there, and the registry and S3 on their published ports.
    Map<String, String> host = StageSettings.load(COMPOSE.resolve("host.properties"), Map.of());
    assertThat(host.get(ConnectionConfig.BOOTSTRAP_SERVERS)).endsWith(":29092");
    Map<String, Map<String, Object>> services = services(load("docker-compose.yml"));
    assertThat((List<String>) services.get("registry").get("ports"))
        .contains(port(host.get(ConnectionConfig.REGISTRY_URL)));
    assertThat((List<String>) services.get("minio").get("ports"))
        .contains(port(host.get(ConnectionConfig.S3_ENDPOINT)));
  }

  private static String port(String url) {
    Matcher port = Pattern.compile(":(\\d+)").matcher(url.substring(url.indexOf("//") + 2));
    assertThat(port.find()).as(url).isTrue();
    return port.group(1) + ":" + port.group(1);
  }

  @Test
  void shouldWriteImageUrlsWithTheConfigurablePublicHost() throws IOException {
    Map<String, Map<String, Object>> services = services(load("docker-compose.yml"));
    services.forEach(
        (name, service) -> {
          if (isStage(service)) {
            assertThat(environment(service).get("LWISE_S3_URL_TEMPLATE"))
                .as(name)
                .isEqualTo("http://${LWISE_PUBLIC_HOST:-localhost}:9000/{bucket}/{key}");
          }
        });
    // The file must not pin it back to localhost (the environment would win, but it would mislead).
    assertThat(StageSettings.load(COMPOSE.resolve("lwise.properties"), Map.of()))
        .doesNotContainKey(ConnectionConfig.S3_URL_TEMPLATE)
        .containsEntry(
            ConnectionConfig.S3_ACL,
            "public-read"); // the anonymous-read bucket policy comes with it
    assertThat(environment(services.get("minio"))).containsKey("MINIO_API_CORS_ALLOW_ORIGIN");
    // Exporting the Compose variable must not make lwise refuse its environment.
    assertThat(StageSettings.load(null, Map.of("LWISE_PUBLIC_HOST", "stimuli.example.org")))
        .isEmpty();
  }

  @Test
  void shouldKeepTheRegistrysSchemasInKafkaOnAVolume() throws IOException {
    Map<String, Object> compose = load("docker-compose.yml");
    Map<String, Object> registry = services(compose).get("registry");
    // The kafkasql variant journals every schema in a Kafka topic: the registry's storage is the
    // broker's.
    String registryServerPom = Files.readString(Path.of("../registry-server/pom.xml"));
    Matcher version =
        Pattern.compile("<apicurio.app.version>(.+)</apicurio.app.version>")
            .matcher(registryServerPom);
    assertThat(version.find()).isTrue();
    assertThat((String) registry.get("image"))
        .isEqualTo("apicurio/apicurio-registry-kafkasql:" + version.group(1));
    String bootstrap = environment(registry).get("KAFKA_BOOTSTRAP_SERVERS");
    assertThat(bootstrap)
        .isEqualTo(
            StageSettings.load(COMPOSE.resolve("lwise.properties"), Map.of())
                .get(ConnectionConfig.BOOTSTRAP_SERVERS));
    Map<String, Object> kafka =
        services(compose).get(bootstrap.substring(0, bootstrap.indexOf(':')));
    String dataDir =
        environment(kafka)
            .getOrDefault("KAFKA_LOG_DIRS", "/var/lib/kafka/data"); // the image's default
    Set<String> namedVolumes = ((Map<String, Object>) compose.get("volumes")).keySet();
    assertThat((List<String>) kafka.get("volumes"))
        .anySatisfy(
            mount -> {
              String[] parts = mount.split(":");
              assertThat(namedVolumes).contains(parts[0]);
              assertThat(parts[1]).isEqualTo(dataDir);
            });
  }

  @Test
  void shouldRunOneWorkerPerGpuOnAGpuHostWithKnownSettings() throws IOException {
    Map<String, Map<String, Object>> services = services(load("gpu-host.yml"));
    assertThat(services).hasSizeGreaterThanOrEqualTo(2);
    Set<String> gpus = new HashSet<>();
    Set<String> metricsPorts = new HashSet<>();
    services.forEach(
        (name, service) -> {
          assertThat(command(service)).as(name).containsSequence("worker", "--device", "gpu:0");
          assertThat(
                  Launcher.commandLine()
                      .parseArgs(command(service).toArray(String[]::new))
                      .errors())
              .as(name)
              .isEmpty();
          Map<String, Object> deploy = (Map<String, Object>) service.get("deploy");
          List<Map<String, Object>> devices =
              (List<Map<String, Object>>)
                  ((Map<String, Object>)
                          ((Map<String, Object>) deploy.get("resources")).get("reservations"))
                      .get("devices");
          assertThat(devices)
              .as(name)
              .singleElement()
              .satisfies(
                  device -> {
                    assertThat(device)
                        .containsEntry("driver", "nvidia")
                        .containsEntry("capabilities", List.of("gpu"));
                    assertThat((List<String>) device.get("device_ids")).hasSize(1);
                    gpus.add(((List<String>) device.get("device_ids")).get(0));
                  });
          Map<String, String> env = environment(service);
          // Kafka, the registry and S3 are elsewhere: required from the host's environment, never
          // defaulted.
          assertThat(env.get("LWISE_BOOTSTRAP_SERVERS"))
              .as(name)
              .startsWith("${LWISE_BOOTSTRAP_SERVERS:?");
          assertThat(env.get("LWISE_REGISTRY_URL")).as(name).startsWith("${LWISE_REGISTRY_URL:?");
          assertThat(env)
              .as(name)
              .doesNotContainKeys("LWISE_KAFKA_SASL_JAAS_CONFIG", "AWS_SECRET_ACCESS_KEY");
          assertThat(StageSettings.load(null, env)).as(name).hasSameSizeAs(env);
          assertThat(healthcheck(service))
              .as(name)
              .contains("/health/ready", "$${LWISE_METRICS_PORT}");
          metricsPorts.addAll((List<String>) service.get("ports"));
          assertThat(service).as(name).doesNotContainKey("depends_on");
        });
    // The example of the addresses the file interpolates: every LWISE_ variable is a setting.
    Map<String, String> example = new HashMap<>();
    for (String line : Files.readAllLines(COMPOSE.resolve("gpu-host.env.example"))) {
      if (line.startsWith("LWISE_")) {
        example.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
      }
    }
    assertThat(example)
        .containsKeys("LWISE_BOOTSTRAP_SERVERS", "LWISE_REGISTRY_URL", "LWISE_WORKER_MODEL_CARD");
    assertThat(StageSettings.load(null, example)).hasSameSizeAs(example);
    assertThat(gpus).as("one GPU per worker").hasSize(services.size());
    assertThat(metricsPorts)
        .as("each worker's metrics on its own host port")
        .hasSize(services.size());
  }

  @Test
  void shouldStartOneWorkerPerGpuFromTheSystemdUnit() throws IOException {
    String unit = Files.readString(COMPOSE.resolve("lwise-worker@.service"));
    Matcher exec = Pattern.compile("(?m)^ExecStart=(.+)$").matcher(unit);
    assertThat(exec.find()).isTrue();
    assertThat(exec.group(1))
        .contains("lwise worker --config /etc/lwise/lwise.properties --device gpu:%i");
    Matcher args = Pattern.compile("lwise (worker .+?)'").matcher(exec.group(1));
    assertThat(args.find()).isTrue();
    assertThat(
            Launcher.commandLine().parseArgs(args.group(1).replace("%i", "0").split(" ")).errors())
        .isEmpty();
    assertThat(unit)
        .contains(
            "EnvironmentFile=-/etc/lwise/secrets.env", "[Install]", "WantedBy=multi-user.target");
    Map<String, String> env = new HashMap<>();
    Matcher variable = Pattern.compile("(?m)^Environment=(LWISE_[A-Z_]+)=(\\S+)$").matcher(unit);
    while (variable.find()) {
      env.put(variable.group(1), variable.group(2));
    }
    env.remove("LWISE_MAVEN_ARGS"); // the lwise script's, not a setting
    env.remove("LWISE_LOG_FILE");
    assertThat(env).containsKey("LWISE_METRICS_HOST");
    assertThat(StageSettings.load(null, env)).hasSameSizeAs(env);
    assertThat(exec.group(1)).contains("LWISE_METRICS_PORT=");
  }
}
