package org.lwise.stream.launcher;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.apache.kafka.streams.KafkaStreams;
import org.lwise.stream.aggregator.AggregatorApp;
import org.lwise.stream.aggregator.AggregatorConfig;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.TopicSetup;
import org.lwise.stream.common.stage.MonitoringSettings;
import org.lwise.stream.common.stage.StageMetrics;
import org.lwise.stream.common.stage.StageMonitor;
import org.lwise.stream.ingest.DirmapWatcher;
import org.lwise.stream.ingest.IngestApp;
import org.lwise.stream.ingest.IngestConfig;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.uploader.UploaderApp;
import org.lwise.stream.uploader.UploaderConfig;
import org.lwise.stream.worker.WorkerApp;
import org.lwise.stream.worker.WorkerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The four stages in this process, each on its own thread, talking only through Kafka (and S3) as
 * they would as separate processes. {@code props} holds the connection settings plus any stage
 * settings (same keys as the stages' config files).
 */
public final class PipelineRun implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PipelineRun.class);

  private final Map<String, String> props;
  private final PipelineTopics topics;
  private final AggregatorApp aggregator;
  private final List<WorkerApp> workers = new ArrayList<>();
  private final UploaderApp uploader;
  private final List<Thread> threads = new ArrayList<>();
  private final List<DirmapWatcher> watchers = new ArrayList<>();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  /** One metrics and health endpoint for every stage of this JVM ({@code metrics.port}). */
  private final StageMonitor monitor;

  public PipelineRun(Map<String, String> props, int workerCount) throws InterruptedException {
    this.props = props;
    IngestConfig ingestConfig = IngestConfig.from(props);
    this.topics =
        PipelineTopics.create(new RegistrySerdes(ingestConfig.connection().registryUrl()));
    TopicSetup.ensureTopics(
        ingestConfig.connection().bootstrapServers(), ingestConfig.connection().topicPartitions());
    this.monitor = StageMonitor.start(MonitoringSettings.from(props));
    // The workers load their models while the uploader starts, and Kafka Streams starts while they
    // join their group and work (nothing waits for the aggregator but the job's end): on 2 cores
    // each start takes seconds, and one after the other they held back the first image by their
    // sum. One set of gpu-worker meters per worker would collide; they share the stage's counters.
    List<CompletableFuture<WorkerApp>> loading = new ArrayList<>();
    for (int i = 0; i < workerCount; i++) {
      loading.add(
          CompletableFuture.supplyAsync(
              () ->
                  new WorkerApp(
                      WorkerConfig.from(props),
                      new StageMetrics(monitor.registry(), WorkerApp.NAME)),
              PipelineRun::daemon));
    }
    UploaderApp startedUploader = null;
    try {
      startedUploader =
          new UploaderApp(
              UploaderConfig.from(props), new StageMetrics(monitor.registry(), UploaderApp.NAME));
      monitor.addReadinessCheck(UploaderApp.NAME, startedUploader::isReady);
      thread("lwise-uploader", startedUploader::run);
      for (int i = 0; i < workerCount; i++) {
        WorkerApp worker = loading.get(i).join();
        workers.add(worker);
        monitor.addReadinessCheck(WorkerApp.NAME + "-" + i, worker::isReady);
        thread("lwise-gpu-worker-" + i, worker::run);
      }
      AggregatorApp startedAggregator =
          new AggregatorApp(
              AggregatorConfig.from(props),
              new StageMetrics(monitor.registry(), AggregatorApp.NAME));
      monitor.addReadinessCheck(AggregatorApp.NAME, startedAggregator::isReady);
      startedAggregator.start(Duration.ofMinutes(2));
      this.aggregator = startedAggregator;
      this.uploader = startedUploader;
    } catch (RuntimeException e) {
      // Nothing half-started is left running behind the failure.
      loading.forEach(
          f ->
              f.thenAccept(
                  w -> {
                    w.stop();
                    if (!workers.contains(w)) {
                      w.close();
                    }
                  }));
      if (startedUploader != null) {
        startedUploader.stop();
      }
      joinThreads();
      workers.forEach(WorkerApp::close);
      if (startedUploader != null) {
        startedUploader.close();
      }
      monitor.close();
      throw e instanceof CompletionException && e.getCause() instanceof RuntimeException cause
          ? cause
          : e;
    }
  }

  private static void daemon(Runnable task) {
    Thread thread = new Thread(task, "lwise-start-worker");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * {@code http://host:port} of this run's metrics and health, or null when {@code metrics.port} is
   * 0.
   */
  public String metricsUrl() {
    return monitor.url();
  }

  private void thread(String name, Runnable body) {
    Thread thread =
        new Thread(
            () -> {
              try {
                body.run();
              } catch (Throwable e) {
                log.error("{} stopped: {}", name, e.toString(), e);
                failure.compareAndSet(null, e);
              }
            },
            name);
    thread.start();
    threads.add(thread);
  }

  private void joinThreads() {
    for (Thread thread : threads) {
      try {
        thread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Waits until every worker owns part of the work topic, so a new job is spread over all of them.
   */
  public void awaitWorkersAssigned(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (workers.stream().anyMatch(w -> w.assignedPartitions() == 0)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("gpu-workers did not all get partitions within " + timeout);
      }
      checkStagesAlive();
      Thread.sleep(100);
    }
  }

  /** Publishes a job (or finds it submitted by an earlier run). */
  public IngestReport submit(JobRequest request, LongConsumer rowsPublished) {
    try (IngestApp ingest = new IngestApp(IngestConfig.from(props))) {
      return ingest.submit(request, rowsPublished);
    }
  }

  /** Watch mode: publishes rows appended to the request's dirmap, scored against a finished job. */
  public DirmapWatcher watch(JobRequest request, Long fromRow) {
    IngestApp ingest = new IngestApp(IngestConfig.from(props));
    DirmapWatcher watcher = ingest.watcher(request, fromRow);
    watchers.add(watcher);
    thread(
        "lwise-ingest-watch",
        () -> {
          try (ingest) {
            watcher.run();
          }
        });
    return watcher;
  }

  /** Job progress as the aggregator sees it; throws if a stage died. */
  public JobProgress progress(String jobId) {
    checkStagesAlive();
    return aggregator.progress(jobId);
  }

  private void checkStagesAlive() {
    Throwable failed = failure.get();
    if (failed != null) {
      throw new IllegalStateException("a pipeline stage stopped: " + failed.getMessage(), failed);
    }
    if (aggregator.state() == KafkaStreams.State.ERROR
        || aggregator.state() == KafkaStreams.State.NOT_RUNNING) {
      throw new IllegalStateException(
          "the aggregator stopped (state " + aggregator.state() + "); see the log");
    }
  }

  /** Blocks until a stage fails (throws) or the thread is interrupted (Ctrl-C closes the run). */
  public void awaitStopped() throws InterruptedException {
    while (true) {
      checkStagesAlive();
      Thread.sleep(1000);
    }
  }

  public List<WorkerApp> workers() {
    return List.copyOf(workers);
  }

  public AggregatorApp aggregator() {
    return aggregator;
  }

  @Override
  public void close() {
    watchers.forEach(DirmapWatcher::stop);
    uploader.stop();
    workers.forEach(WorkerApp::stop);
    joinThreads();
    uploader.close();
    workers.forEach(WorkerApp::close);
    aggregator.close();
    monitor.close();
  }

  /**
   * Waits until the job's dirmaps are written, reporting (done, failed) as it goes. Progress comes
   * from this process's aggregator; completion is also read from the dirmaps topic, so it is seen
   * even when another aggregator instance of the same application holds the job.
   */
  public JobProgress awaitCompletion(String jobId, Duration timeout, ProgressListener listener)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    WrittenDirmaps written = new WrittenDirmaps(props.get("bootstrap.servers"), topics.dirmaps());
    long lastTopicCheck = 0;
    while (System.nanoTime() < deadline) {
      JobProgress progress = progress(jobId);
      if (progress != null) {
        listener.update(progress.getCompleted(), progress.getFailed());
        if (progress.getEmitted()) {
          return progress;
        }
      }
      if (System.nanoTime() - lastTopicCheck > 5_000_000_000L) {
        lastTopicCheck = System.nanoTime();
        DirmapWritten natural = written.of(jobId).get(Conditions.NATURAL);
        if (natural != null) {
          return JobProgress.newBuilder()
              .setCompleted(natural.getRows())
              .setFailed(natural.getFailed())
              .setEmitted(true)
              .build();
        }
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("job " + jobId + " did not complete within " + timeout);
  }

  /** Receives progress updates. */
  public interface ProgressListener {
    void update(long done, long failed);
  }
}
