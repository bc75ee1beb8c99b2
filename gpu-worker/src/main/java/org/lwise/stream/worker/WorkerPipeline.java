package org.lwise.stream.worker;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.TransactionalBatch;
import org.lwise.stream.common.TransientFailures;
import org.lwise.stream.common.stage.StageMetrics;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.EnhancedImage;
import org.lwise.stream.schema.ImageRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's consume → infer → produce loop, exactly-once: each micro-batch's scores, images,
 * dead letters and consumed offsets commit in one Kafka transaction. Records are decoded on the
 * codec pool as soon as they are polled, so the next batch is ready while the model runs; a batch
 * closes at {@code maxBatchSize} images or when its oldest image has waited {@code maxBatchWaitMs}.
 */
public final class WorkerPipeline implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(WorkerPipeline.class);

  private final WorkerConfig config;
  private final PipelineTopics topics;
  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> producer;
  private final Function<List<PreparedImage>, List<ImageEnhancer.Outcome>> enhancer;
  private final ImagePreparation preparation;
  private final ExecutorService codec;
  private final InfrastructureRetry retry;
  private final StageMetrics metrics;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Deque<Pending> pending = new ArrayDeque<>();
  private volatile long imagesDone;
  private volatile int assignedPartitions;
  private long started = System.nanoTime();
  private long lastReport = System.nanoTime();

  private record Pending(
      ConsumerRecord<byte[], byte[]> record,
      long arrivedNanos,
      CompletableFuture<PreparedImage> prepared) {}

  public WorkerPipeline(
      WorkerConfig config,
      PipelineTopics topics,
      Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> producer,
      ImageEnhancer enhancer,
      ImagePreparation preparation,
      ExecutorService codec,
      InfrastructureRetry retry) {
    this(
        config,
        topics,
        consumer,
        producer,
        enhancer,
        preparation,
        codec,
        retry,
        StageMetrics.unpublished("gpu-worker"));
  }

  /**
   * @param metrics records images in/done/failed per job, batch sizes, model pass times and the
   *     pending queue
   */
  public WorkerPipeline(
      WorkerConfig config,
      PipelineTopics topics,
      Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> producer,
      ImageEnhancer enhancer,
      ImagePreparation preparation,
      ExecutorService codec,
      InfrastructureRetry retry,
      StageMetrics metrics) {
    this(config, topics, consumer, producer, enhancer::process, preparation, codec, retry, metrics);
  }

  /** The loop around any micro-batch processor: tests run it without a model. */
  WorkerPipeline(
      WorkerConfig config,
      PipelineTopics topics,
      Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> producer,
      Function<List<PreparedImage>, List<ImageEnhancer.Outcome>> enhancer,
      ImagePreparation preparation,
      ExecutorService codec,
      InfrastructureRetry retry) {
    this(
        config,
        topics,
        consumer,
        producer,
        enhancer,
        preparation,
        codec,
        retry,
        StageMetrics.unpublished("gpu-worker"));
  }

  private WorkerPipeline(
      WorkerConfig config,
      PipelineTopics topics,
      Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> producer,
      Function<List<PreparedImage>, List<ImageEnhancer.Outcome>> enhancer,
      ImagePreparation preparation,
      ExecutorService codec,
      InfrastructureRetry retry,
      StageMetrics metrics) {
    this.metrics = metrics;
    metrics.queueDepth("polled", pending::size);
    this.config = config;
    this.topics = topics;
    this.consumer = consumer;
    this.producer = producer;
    this.enhancer = enhancer;
    this.preparation = preparation;
    this.codec = codec;
    this.retry = retry;
  }

  @Override
  public void run() {
    producer.initTransactions();
    consumer.subscribe(List.of(topics.images().name()), new DropRevoked());
    log.info(
        "gpu-worker consuming {} as group {} (batch {} images, wait {} ms)",
        topics.images().name(),
        config.groupId(),
        config.maxBatchSize(),
        config.maxBatchWaitMs());
    try {
      while (running.get()) {
        Duration timeout =
            pending.isEmpty()
                ? Duration.ofMillis(500)
                : Duration.ofMillis(Math.max(1, remainingWaitMs()));
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
          metrics.received(jobOf(record), 1);
          pending.add(
              new Pending(
                  record,
                  System.nanoTime(),
                  CompletableFuture.supplyAsync(() -> preparation.prepare(record), codec)));
        }
        while (!pending.isEmpty()
            && (pending.size() >= config.maxBatchSize() || remainingWaitMs() <= 0)) {
          processBatch();
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    } finally {
      log.info("gpu-worker stopping after {} images", imagesDone);
    }
  }

  /** Images this worker has committed (scored/enhanced or dead-lettered). */
  public long imagesDone() {
    return imagesDone;
  }

  /** Partitions of the work topic this worker owns now. */
  public int assignedPartitions() {
    return assignedPartitions;
  }

  /** Stops the loop from another thread (shutdown hook). */
  public void stop() {
    running.set(false);
    consumer.wakeup();
  }

  private long remainingWaitMs() {
    if (pending.isEmpty()) {
      return config.maxBatchWaitMs();
    }
    long waited = (System.nanoTime() - pending.peekFirst().arrivedNanos()) / 1_000_000;
    return config.maxBatchWaitMs() - waited;
  }

  private void processBatch() {
    List<Pending> batch = new ArrayList<>();
    while (!pending.isEmpty() && batch.size() < config.maxBatchSize()) {
      batch.add(pending.pollFirst());
    }
    List<PreparedImage> items = new ArrayList<>(batch.size());
    List<DeadLetter> unreadable = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (Pending p : batch) {
      try {
        items.add(prepared(p));
      } catch (ImagePreparation.UnreadableRecordException e) {
        unreadable.add(unreadable(p.record(), e.getCause()));
      }
      offsets.put(
          new TopicPartition(p.record().topic(), p.record().partition()),
          new OffsetAndMetadata(p.record().offset() + 1));
    }
    metrics.batchSize(batch.size());
    long modelStarted = System.nanoTime();
    List<ImageEnhancer.Outcome> outcomes = enhancer.apply(items);
    metrics.modelPass(Duration.ofNanos(System.nanoTime() - modelStarted));
    // A transaction that failed because the registry or broker was briefly away was aborted whole,
    // so it is sent again (schema auto-registration by two workers at once can also answer 5xx).
    retry.run(
        () ->
            TransactionalBatch.commit(
                producer,
                offsets,
                consumer.groupMetadata(),
                out -> {
                  for (DeadLetter dead : unreadable) {
                    out.send(topics.deadLetters(), dead.getRecordKey(), dead);
                  }
                  for (ImageEnhancer.Outcome outcome : outcomes) {
                    ImageRecord r = outcome.record();
                    if (outcome.deadLetter() != null) {
                      log.info("Job {}: {}", r.getJobId(), outcome.deadLetter().getReason());
                      out.send(
                          topics.deadLetters(),
                          outcome.deadLetter().getRecordKey(),
                          outcome.deadLetter());
                      continue;
                    }
                    out.send(
                        topics.scores(),
                        RecordKeys.row(r.getJobId(), r.getRowIndex()),
                        outcome.score());
                    for (EnhancedImage image : outcome.images()) {
                      out.send(
                          topics.enhanced(),
                          RecordKeys.output(r.getJobId(), image.getConditionId(), r.getRowIndex()),
                          image);
                    }
                  }
                }));
    imagesDone += batch.size();
    // Counted once the transaction committed: a batch sent again after an outage counts once.
    unreadable.forEach(metrics::failed);
    for (ImageEnhancer.Outcome outcome : outcomes) {
      if (outcome.deadLetter() != null) {
        metrics.failed(outcome.deadLetter());
      } else {
        metrics.done(outcome.record().getJobId(), 1);
      }
    }
    long now = System.nanoTime();
    if (now - lastReport > 30_000_000_000L) {
      // One line every 30 s while working: enough for an operator to see throughput.
      log.info(
          "{} images done since assignment ({} img/s)",
          imagesDone,
          String.format("%.1f", imagesDone / ((now - started) / 1e9)));
      lastReport = now;
    }
  }

  /**
   * The prepared image; a preparation that failed because the registry or S3 could not be reached
   * is run again (with backoff, for at most retry.timeout.ms) instead of becoming a dead letter.
   * Past that the error is thrown and the worker stops with nothing of the batch committed.
   */
  private PreparedImage prepared(Pending p) {
    try {
      return p.prepared().join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof ImagePreparation.UnreadableRecordException unreadable) {
        throw unreadable;
      }
      if (!TransientFailures.isTransient(cause)) {
        // Not the record's fault and not an outage: a bug, which must stop the worker, not hide as
        // a dead letter.
        throw new IllegalStateException(
            "preparing the image record at "
                + p.record().topic()
                + "-"
                + p.record().partition()
                + "@"
                + p.record().offset()
                + " failed",
            cause);
      }
      return retry.get(() -> preparation.prepare(p.record()));
    }
  }

  private static String jobOf(ConsumerRecord<byte[], byte[]> record) {
    RecordKeys.Attribution owner = RecordKeys.parse(record.key());
    return owner == null ? "unknown" : owner.jobId();
  }

  /**
   * A record that is not a readable image record (corrupt bytes, unknown schema) is dead-lettered
   * rather than stopping the worker on every restart; its key still names its job and row, so the
   * job counts the row as failed and completes.
   */
  private static DeadLetter unreadable(ConsumerRecord<byte[], byte[]> record, Throwable cause) {
    DeadLetter dead = DeadLetters.unreadable("gpu-worker", "image record", record, cause);
    log.warn("Job {} row {}: {}", dead.getJobId(), dead.getRowIndex(), dead.getReason());
    return dead;
  }

  /** Records already polled from partitions we lose are not ours to process any more. */
  private final class DropRevoked implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      assignedPartitions = Math.max(0, assignedPartitions - partitions.size());
      int before = pending.size();
      pending.removeIf(
          p -> partitions.contains(new TopicPartition(p.record().topic(), p.record().partition())));
      if (before != pending.size()) {
        log.info(
            "Dropped {} polled records of revoked partitions {}",
            before - pending.size(),
            partitions);
      }
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      assignedPartitions += partitions.size();
      log.info("Assigned partitions {}", partitions);
      started = System.nanoTime();
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      onPartitionsRevoked(partitions);
    }
  }
}
