package org.lwise.stream.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the pipeline's topics if they do not exist yet; every stage calls it at start-up. */
public final class TopicSetup {
  private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {}

  public static void ensureTopics(String bootstrapServers, int partitions) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (String name : TopicNames.ALL) {
        if (!existing.contains(name)) {
          // Jobs are small and must never expire: compacted. The rest keep Kafka's retention.
          NewTopic topic = new NewTopic(name, partitions, (short) -1);
          if (name.equals(TopicNames.JOBS)) {
            topic.configs(Map.of("cleanup.policy", "compact"));
          }
          if (name.equals(TopicNames.IMAGES) || name.equals(TopicNames.ENHANCED)) {
            topic.configs(Map.of("max.message.bytes", String.valueOf(16 * 1024 * 1024)));
          }
          missing.add(topic);
        }
      }
      if (missing.isEmpty()) {
        return;
      }
      try {
        admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
        log.info(
            "Created topics {} with {} partitions",
            missing.stream().map(NewTopic::name).toList(),
            partitions);
      } catch (ExecutionException e) {
        // Another stage starting at the same moment may have created them first.
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
        log.info(
            "Topics were created concurrently by another stage: {}", e.getCause().getMessage());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot create topics on " + bootstrapServers + ": " + e.getMessage(), e);
    }
  }
}
