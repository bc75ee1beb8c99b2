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
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * codec pool as soon as they are polled; a batch closes at {@code maxBatchSize} images or when its
 * oldest image has waited {@code maxBatchWaitMs}.
 *
 * <p>Pipelined ({@code worker.pipeline.depth} &gt; 0): closed batches go to one inference thread
 * and the model starts the next batch while the codec pool encodes the previous one's outputs and
 * this thread commits them, so the model does not wait for encoding, Kafka or the broker. At most
 * {@code depth} batches are in flight (back-pressure: this thread stops polling until the oldest
 * commits), and batches commit strictly in the order they were closed, each with its own offsets:
 * when batch N's transaction fails, the loop stops before N+1's offsets are committed. Depth 0 runs
 * the model on this thread between polls (the loop before pipelining).
 */
public final class WorkerPipeline implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(WorkerPipeline.class);

  /**
   * How long a poll may block while batches are in flight: the bound on a finished batch's commit
   * delay.
   */
  private static final Duration IN_FLIGHT_POLL = Duration.ofMillis(10);

  private final WorkerConfig config;
  private final PipelineTopics topics;
  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> producer;
  private final BatchProcessor enhancer;
  private final ImagePreparation preparation;
  private final ExecutorService codec;
  private final InfrastructureRetry retry;
  private final int depth;
  private final StageMetrics metrics;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Deque<Pending> pending = new ArrayDeque<>();
  private final Deque<InFlight> inFlight = new ArrayDeque<>();
  private ExecutorService inference;
  private volatile long imagesDone;
  private volatile int assignedPartitions;
  private long started = System.nanoTime();
  private long lastReport = System.nanoTime();

  private record Pending(
      ConsumerRecord<byte[], byte[]> record,
      long arrivedNanos,
      CompletableFuture<PreparedImage> prepared) {}

  /**
   * A closed micro-batch: its offsets, and its outputs once the model and the encoders are done.
   */
  private record InFlight(
      int size,
      Map<TopicPartition, OffsetAndMetadata> offsets,
      CompletableFuture<Outputs> outputs) {}

  private record Outputs(List<DeadLetter> unreadable, List<ImageEnhancer.Outcome> outcomes) {}

  /**
   * Processes one micro-batch: runs the model on the calling (inference) thread and returns a
   * future of the encoded outcomes, so the thread is free for the next batch while they are
   * encoded.
   */
  @FunctionalInterface
  interface BatchProcessor {
    CompletableFuture<List<ImageEnhancer.Outcome>> process(List<PreparedImage> items);
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
    this(
        config,
        topics,
        consumer,
        producer,
        enhancer::processAsync,
        preparation,
        codec,
        retry,
        metrics);
  }

  /** The loop around any micro-batch processor: tests run it without a model. */
  WorkerPipeline(
      WorkerConfig config,
      PipelineTopics topics,
      Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> producer,
      BatchProcessor enhancer,
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
      BatchProcessor enhancer,
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
    this.depth = config.pipelineDepth();
  }

  @Override
  public void run() {
    producer.initTransactions();
    consumer.subscribe(List.of(topics.images().name()), new DropRevoked());
    log.info(
        "gpu-worker consuming {} as group {} (batch {} images, wait {} ms, {} batches in flight)",
        topics.images().name(),
        config.groupId(),
        config.maxBatchSize(),
        config.maxBatchWaitMs(),
        depth);
    if (depth > 0) {
      inference =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "lwise-inference");
                t.setDaemon(true);
                return t;
              });
    }
    boolean clean = false;
    try {
      while (running.get()) {
        commitFinished();
        Duration timeout =
            pending.isEmpty()
                ? (inFlight.isEmpty() ? Duration.ofMillis(500) : IN_FLIGHT_POLL)
                : Duration.ofMillis(
                    Math.max(
                        1, Math.min(remainingWaitMs(), inFlight.isEmpty() ? Long.MAX_VALUE : 10)));
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
          if (depth > 0 && inFlight.size() >= depth) {
            commitOldest(); // back-pressure: the model is `depth` batches ahead of the commits
          }
          closeBatch();
        }
      }
      clean = true;
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
      clean = true;
    } finally {
      try {
        if (clean) {
          // Stopped on request: what the model computed (or is computing) is committed, not thrown
          // away; the batches queued behind it never start (see closeBatch).
          while (!inFlight.isEmpty() && !notStarted(inFlight.peekFirst())) {
            commitOldest();
          }
          if (!inFlight.isEmpty()) {
            log.info(
                "Left {} batches the model had not started to the next owner of their partitions",
                inFlight.size());
            inFlight.clear();
          }
        }
      } finally {
        if (inference != null) {
          inference.shutdownNow();
        }
        log.info("gpu-worker stopping after {} images", imagesDone);
      }
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

  /**
   * Takes the next batch off the pending records and hands it to the model (or runs it here at
   * depth 0).
   */
  private void closeBatch() {
    List<Pending> batch = new ArrayList<>();
    while (!pending.isEmpty() && batch.size() < config.maxBatchSize()) {
      batch.add(pending.pollFirst());
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (Pending p : batch) {
      offsets.put(
          new TopicPartition(p.record().topic(), p.record().partition()),
          new OffsetAndMetadata(p.record().offset() + 1));
    }
    CompletableFuture<Outputs> outputs =
        depth == 0
            ? infer(batch)
            : CompletableFuture.supplyAsync(
                    () -> {
                      // Stopping: a batch the model has not started is left to the partitions'
                      // next owner (its offsets stay uncommitted), so a leaving worker waits for at
                      // most the batch in the model, not for every batch queued behind it.
                      if (!running.get()) {
                        throw new NotStarted();
                      }
                      return infer(batch);
                    },
                    inference)
                .thenCompose(f -> f);
    inFlight.add(new InFlight(batch.size(), offsets, outputs));
    if (depth == 0) {
      commitOldest();
    }
  }

  /**
   * On the inference thread: waits for the batch's decoding, runs the model, and leaves encoding to
   * the codec pool.
   */
  private CompletableFuture<Outputs> infer(List<Pending> batch) {
    List<PreparedImage> items = new ArrayList<>(batch.size());
    List<DeadLetter> unreadable = new ArrayList<>();
    for (Pending p : batch) {
      try {
        items.add(prepared(p));
      } catch (ImagePreparation.UnreadableRecordException e) {
        unreadable.add(unreadable(p.record(), e.getCause()));
      }
    }
    metrics.batchSize(batch.size());
    long modelStarted = System.nanoTime();
    CompletableFuture<List<ImageEnhancer.Outcome>> encoded = enhancer.process(items);
    metrics.modelPass(Duration.ofNanos(System.nanoTime() - modelStarted));
    return encoded.thenApply(outcomes -> new Outputs(unreadable, outcomes));
  }

  /** A queued batch that the inference thread skipped because the worker is stopping. */
  private static final class NotStarted extends RuntimeException {
    NotStarted() {
      super("the worker stopped before the model started this batch", null, false, false);
    }
  }

  /** Waits until the batch ran or was skipped; true when it was skipped. */
  private static boolean notStarted(InFlight batch) {
    return batch
        .outputs()
        .handle(
            (done, error) ->
                error != null
                    && (error instanceof NotStarted || error.getCause() instanceof NotStarted))
        .join();
  }

  /** Commits the batches at the head of the queue whose outputs are ready, without waiting. */
  private void commitFinished() {
    while (!inFlight.isEmpty() && inFlight.peekFirst().outputs().isDone()) {
      commitOldest();
    }
  }

  /**
   * Waits for the oldest batch in flight and commits it; its failure (the model's or the commit's)
   * stops the loop.
   */
  private void commitOldest() {
    InFlight batch = inFlight.peekFirst();
    Outputs outputs;
    try {
      outputs = batch.outputs().join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
    long cpu = WorkerProfile.threadCpuNanos();
    // A transaction that failed because the registry or broker was briefly away was aborted whole,
    // so it is sent again (schema auto-registration by two workers at once can also answer 5xx).
    retry.run(
        () ->
            TransactionalBatch.commit(
                producer,
                batch.offsets(),
                consumer.groupMetadata(),
                out -> {
                  for (DeadLetter dead : outputs.unreadable()) {
                    out.send(topics.deadLetters(), dead.getRecordKey(), dead);
                  }
                  for (ImageEnhancer.Outcome outcome : outputs.outcomes()) {
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
    WorkerProfile.process().committed(WorkerProfile.threadCpuNanos() - cpu);
    // Removed only once committed: a failed commit leaves it (and everything after it) uncommitted.
    inFlight.pollFirst();
    imagesDone += batch.size();
    // Counted once the transaction committed: a batch sent again after an outage counts once.
    outputs.unreadable().forEach(metrics::failed);
    for (ImageEnhancer.Outcome outcome : outputs.outcomes()) {
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

  /**
   * Batches in flight are finished and committed before partitions are given up (they are still
   * ours during this call); records polled but not yet in a batch are dropped for the new owner.
   * Lost partitions (this member was fenced) can commit nothing: their batches are discarded.
   */
  private final class DropRevoked implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) {
        while (!inFlight.isEmpty()) {
          commitOldest();
        }
      }
      dropPending(partitions);
    }

    private void dropPending(Collection<TopicPartition> partitions) {
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
      int discarded = 0;
      while (!inFlight.isEmpty()) {
        // The model may still be on it; wait so it does not run into the next assignment's batches.
        inFlight.pollFirst().outputs().handle((outputs, error) -> null).join();
        discarded++;
      }
      if (discarded > 0) {
        log.info("Discarded {} uncommitted batches of lost partitions {}", discarded, partitions);
      }
      dropPending(partitions);
    }
  }
}
