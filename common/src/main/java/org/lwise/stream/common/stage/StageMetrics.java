package org.lwise.stream.common.stage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.schema.DeadLetter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's own meters for one stage, all tagged {@code stage}, plus the per-job counts its
 * console lines report. Per-job meters carry the job id as a tag: one series per job and stage,
 * which is fine for the tens of jobs a process sees in its life, not for millions.
 */
public final class StageMetrics implements StageActivity, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StageMetrics.class);

  private final MeterRegistry registry;
  private final String stage;
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();
  private final List<AutoCloseable> binders = new CopyOnWriteArrayList<>();

  private static final class Job {
    final AtomicLong done = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    volatile boolean finished;
  }

  public StageMetrics(MeterRegistry registry, String stage) {
    this.registry = registry;
    this.stage = stage;
  }

  /** Counts for the console only: the meters go to a registry nobody reads. */
  public static StageMetrics unpublished(String stage) {
    return new StageMetrics(new CompositeMeterRegistry(), stage);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public String stage() {
    return stage;
  }

  /** Records (images or rows) of a job this stage received. */
  public void received(String jobId, int count) {
    counter("lwise.images.in", jobId).increment(count);
  }

  /** Records of a job this stage finished (committed). */
  public void done(String jobId, int count) {
    counter("lwise.images.done", jobId).increment(count);
    job(jobId).done.addAndGet(count);
  }

  /** A record of a job that this stage dead-lettered. */
  public void failed(DeadLetter dead) {
    String jobId = dead.getJobId() == null ? "unknown" : dead.getJobId();
    counter("lwise.images.failed", jobId).increment();
    Counter.builder("lwise.dead.letters")
        .description("dead letters by the class of their reason")
        .tag("stage", stage)
        .tag("reason", DeadLetters.reasonClass(dead.getReason()))
        .register(registry)
        .increment();
    job(jobId).failed.incrementAndGet();
  }

  /** Marks a job finished (the aggregator knows; other stages only see it go quiet). */
  public void finished(String jobId, long done, long failed) {
    Job job = job(jobId);
    job.done.set(done);
    job.failed.set(failed);
    job.finished = true;
  }

  public void batchSize(int images) {
    DistributionSummary.builder("lwise.worker.batch")
        .baseUnit("images")
        .description("images per micro-batch")
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256)
        .tag("stage", stage)
        .register(registry)
        .record(images);
  }

  public void modelPass(Duration took) {
    Timer.builder("lwise.worker.model.pass")
        .description("time of one micro-batch's model work (scoring and ascent)")
        .publishPercentileHistogram()
        .tag("stage", stage)
        .register(registry)
        .record(took);
  }

  /** One S3 upload: {@code outcome} written, existing (same digest, skipped) or failed. */
  public void upload(String outcome, Duration took) {
    Timer.builder("lwise.uploads")
        .description("S3 uploads of output images and their latency")
        .publishPercentileHistogram()
        .tag("stage", stage)
        .tag("outcome", outcome)
        .register(registry)
        .record(took);
  }

  /** Records waiting inside the stage (polled, not yet committed). */
  public void queueDepth(String queue, Supplier<Number> depth) {
    Gauge.builder("lwise.queue.depth", depth)
        .description("records polled and not yet committed")
        .tag("stage", stage)
        .tag("queue", queue)
        .strongReference(true)
        .register(registry);
  }

  /**
   * Binds a Kafka client's own metrics (records lag of the consumed topics, request rates, ...).
   * Kafka clients are not thread-safe, but their metrics are: the binder reads those only.
   */
  public void bind(Consumer<?, ?> consumer) {
    KafkaClientMetrics binder = new KafkaClientMetrics(consumer);
    binder.bindTo(registry);
    binders.add(binder);
  }

  public void bind(Producer<?, ?> producer) {
    KafkaClientMetrics binder = new KafkaClientMetrics(producer);
    binder.bindTo(registry);
    binders.add(binder);
  }

  /** Keeps another binder to close with this stage (e.g. Kafka Streams metrics). */
  public void closeWith(AutoCloseable binder) {
    binders.add(binder);
  }

  @Override
  public Map<String, JobCounts> jobs() {
    Map<String, JobCounts> snapshot = new TreeMap<>();
    jobs.forEach(
        (id, job) ->
            snapshot.put(id, new JobCounts(job.done.get(), job.failed.get(), job.finished)));
    return snapshot;
  }

  private Counter counter(String name, String jobId) {
    return Counter.builder(name).tag("stage", stage).tag("job", jobId).register(registry);
  }

  private Job job(String jobId) {
    return jobs.computeIfAbsent(jobId, id -> new Job());
  }

  @Override
  public void close() {
    for (AutoCloseable binder : binders) {
      try {
        binder.close();
      } catch (Exception e) {
        log.debug("closing a metrics binder failed: {}", e.toString());
      }
    }
    binders.clear();
  }
}
