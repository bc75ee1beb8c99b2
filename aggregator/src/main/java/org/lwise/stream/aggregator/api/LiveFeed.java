package org.lwise.stream.aggregator.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.sse.SseClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.lwise.stream.aggregator.DirmapJson;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.KafkaClients;
import org.lwise.stream.common.Topic;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.Outcome;
import org.lwise.stream.schema.ScoredImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-sent events of newly scored images and written dirmaps. Each API instance follows the
 * live-feed topics itself (no consumer group, from their end, committed records only), so a client
 * gets every event whichever instance it is connected to and whichever instance did the work.
 */
final class LiveFeed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LiveFeed.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A comment line this often lets proxies keep the stream open and finds clients that left. */
  private static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

  private record Subscriber(String dataset, SseClient client) {}

  /**
   * Calibration events: at most one per dataset this often, the first this long after an answer.
   */
  private static final long CALIBRATION_EVERY_NANOS = 2_000_000_000L;

  private static final long CALIBRATION_SETTLE_NANOS = 700_000_000L;

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Topic<String, ScoredImage> images;
  private final Topic<String, DirmapWritten> dirmaps;
  private final Topic<String, Outcome> outcomes;
  private final Function<String, String> calibrationOf;

  /** Dataset → when its first answer not yet reflected in a calibration event came. */
  private final Map<String, Long> answered = new HashMap<>();

  private final Map<String, Long> lastCalibration = new HashMap<>();
  private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  /**
   * @param calibrationOf a dataset's calibration JSON as the API answers it (null when it cannot)
   */
  LiveFeed(
      String bootstrapServers,
      Topic<String, ScoredImage> images,
      Topic<String, DirmapWritten> dirmaps,
      Topic<String, Outcome> outcomes,
      Function<String, String> calibrationOf) {
    this.images = images;
    this.dirmaps = dirmaps;
    this.outcomes = outcomes;
    this.calibrationOf = calibrationOf;
    this.consumer = KafkaClients.readCommittedConsumer(bootstrapServers, null, Map.of());
    this.thread = new Thread(this::run, "lwise-api-live-feed");
    thread.setDaemon(true);
  }

  void start() {
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(images.name(), dirmaps.name(), outcomes.name())) {
      consumer
          .partitionsFor(topic)
          .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position); // fix the start now: events from here on are sent
    thread.start();
  }

  /**
   * Sends this client every later event of the dataset (of every dataset when null) until it
   * leaves.
   */
  void subscribe(String dataset, SseClient client) {
    Subscriber subscriber = new Subscriber(dataset, client);
    client.onClose(() -> subscribers.remove(subscriber));
    subscribers.add(subscriber);
    client.sendComment("lwise live feed" + (dataset == null ? "" : " of " + dataset));
  }

  int subscribers() {
    return subscribers.size();
  }

  private void run() {
    long lastKeepAlive = System.nanoTime();
    try {
      while (running) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(250))) {
          publish(record);
        }
        publishCalibrations();
        if (System.nanoTime() - lastKeepAlive > KEEP_ALIVE.toNanos()) {
          subscribers.forEach(s -> s.client().sendComment("keep-alive"));
          subscribers.removeIf(s -> s.client().terminated());
          lastKeepAlive = System.nanoTime();
        }
      }
    } catch (WakeupException closing) {
      // close() woke the poll
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private void publish(ConsumerRecord<byte[], byte[]> record) {
    String event;
    String dataset;
    ObjectNode data;
    try {
      if (record.topic().equals(outcomes.name())) {
        Outcome outcome =
            outcomes.valueSerde().deserializer().deserialize(record.topic(), record.value());
        answered.putIfAbsent(outcome.getDataset(), System.nanoTime());
        return;
      }
      if (record.topic().equals(images.name())) {
        ScoredImage image =
            images.valueSerde().deserializer().deserialize(record.topic(), record.value());
        event = "image";
        dataset = image.getDataset();
        data = imageJson(image);
      } else {
        DirmapWritten dirmap =
            dirmaps.valueSerde().deserializer().deserialize(record.topic(), record.value());
        event = "dirmap";
        dataset = dirmap.getDataset();
        data = dirmapJson(dirmap);
      }
    } catch (RuntimeException unreadable) {
      // The aggregator wrote these records itself; one it cannot read back is not an experiment's
      // concern.
      log.warn(
          "Live feed skips a record on {} at offset {} it cannot read: {}",
          record.topic(),
          record.offset(),
          unreadable.getMessage());
      return;
    }
    String text = data.toString();
    for (Subscriber subscriber : subscribers) {
      if (subscriber.dataset() == null || subscriber.dataset().equals(dataset)) {
        subscriber.client().sendEvent(event, text);
      }
    }
  }

  /**
   * A {@code calibration} event per dataset whose participants answered, once the aggregator has
   * had a moment to count the answers, and at most one per dataset every two seconds.
   */
  private void publishCalibrations() {
    long now = System.nanoTime();
    for (String dataset : List.copyOf(answered.keySet())) {
      long since = answered.get(dataset);
      Long last = lastCalibration.get(dataset);
      if (now - since < CALIBRATION_SETTLE_NANOS
          || last != null && now - last < CALIBRATION_EVERY_NANOS) {
        continue;
      }
      answered.remove(dataset);
      lastCalibration.put(dataset, now);
      if (subscribers.stream().noneMatch(s -> s.dataset() == null || s.dataset().equals(dataset))) {
        continue;
      }
      String calibration;
      try {
        calibration = calibrationOf.apply(dataset);
      } catch (RuntimeException unavailable) {
        log.warn("No calibration event for {}: {}", dataset, unavailable.getMessage());
        continue;
      }
      if (calibration != null) {
        for (Subscriber subscriber : subscribers) {
          if (subscriber.dataset() == null || subscriber.dataset().equals(dataset)) {
            subscriber.client().sendEvent("calibration", calibration);
          }
        }
      }
    }
  }

  /**
   * An image event: the input dirmap's columns, each cell typed on its own, and this run's values.
   */
  static ObjectNode imageJson(ScoredImage image) {
    ObjectNode json = DirmapJson.recordNode(image.getColumns(), image.getValues());
    json.put("robust_gt_logit", image.getRobustGtLogit());
    if (image.getDifficulty() == null) {
      json.putNull("difficulty");
    } else {
      json.put("difficulty", image.getDifficulty());
    }
    json.put("url", image.getUrls().get(Conditions.NATURAL));
    json.put("dataset", image.getDataset());
    json.put("job_id", image.getJobId());
    json.put("row_index", image.getRowIndex());
    json.put("incoming", image.getIncoming());
    ObjectNode urls = json.putObject("urls");
    new TreeMap<>(image.getUrls()).forEach(urls::put);
    json.put("scored_at", image.getScoredAt().toEpochMilli());
    return json;
  }

  static ObjectNode dirmapJson(DirmapWritten dirmap) {
    ObjectNode json = JSON.createObjectNode();
    json.put("job_id", dirmap.getJobId());
    json.put("dataset", dirmap.getDataset());
    json.put("condition_id", dirmap.getConditionId());
    json.put("rows", dirmap.getRows());
    json.put("failed", dirmap.getFailed());
    json.put("complete", dirmap.getComplete());
    json.put("csv_url", dirmap.getCsvUrl());
    json.put("json_url", dirmap.getJsonUrl());
    json.put("csv_path", dirmap.getCsvPath());
    json.put("json_path", dirmap.getJsonPath());
    return json;
  }

  @Override
  public void close() {
    running = false;
    subscribers.forEach(s -> s.client().close());
    if (!thread.isAlive()) {
      consumer.close(Duration.ofSeconds(2));
      return;
    }
    consumer.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
