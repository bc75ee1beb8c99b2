package org.lwise.stream.ingest;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.kafka.clients.producer.Producer;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.common.Digests;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.TopicProducer;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.schema.Job;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watch mode: publishes rows as they are appended to a dirmap (newly collected clinical images),
 * starting after the rows present when it first starts (or from a given row),
 * as an open-ended job scored against a finished reference job's logit range. Each batch of new
 * rows goes out in one transaction together with the job record's new row count, which is also
 * where a restarted watcher finds how far it got.
 */
public final class DirmapWatcher implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(DirmapWatcher.class);

  private final IngestConfig config;
  private final PipelineTopics topics;
  private final Function<String, Producer<byte[], byte[]>> producers;
  private final RowPublisher rows;
  private final JobRequest request;
  private final Long fromRow;
  private volatile FolderDirmap folder;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private volatile long published;
  private volatile long firstRow;

  public DirmapWatcher(IngestConfig config, PipelineTopics topics, Function<String, Producer<byte[], byte[]>> producers,
      ImageStager stager, JobRequest request, Long fromRow) {
    if (request.referenceJobId() == null) {
      throw new IllegalArgumentException("watch mode needs a reference job (its logit range scores new images)");
    }
    this.config = config;
    this.topics = topics;
    this.producers = producers;
    this.rows = new RowPublisher(topics, config.inlineImageMaxBytes(), stager);
    this.request = request;
    this.fromRow = fromRow;
  }

  /** Also watch a folder: files dropped into it become rows of the watched dirmap ({@link FolderDirmap}). */
  public DirmapWatcher watchingFolder(FolderDirmap folder) {
    if (!folder.dirmap().equals(request.dirmap().toAbsolutePath().normalize())) {
      throw new IllegalArgumentException("the watched dirmap must be the folder's " + folder.dirmap());
    }
    this.folder = folder;
    return this;
  }

  /** The watch job's id: beside its reference job, one per watched dirmap and request. */
  public String jobId() {
    String identity = request.dirmap().toAbsolutePath().normalize() + "|" + request.modelId() + "|"
        + request.conditions().stream().map(c -> c.getId()).toList() + "|" + request.labelColumn();
    return RecordKeys.watchJobId(request.referenceJobId(),
        Digests.sha256(identity.getBytes(StandardCharsets.UTF_8)).substring(0, 12));
  }

  /** Rows of the dirmap handled so far: skipped at the first start, or published. */
  public long published() {
    return published;
  }

  /** Rows published by this watch job (not those skipped at its first start). */
  public long newRows() {
    return Math.max(0, published - firstRow);
  }

  @Override
  public void run() {
    String jobId = jobId();
    if (folder != null) {
      folder.scan();
    }
    Job previous = TopicReader.latest(config.connection().bootstrapServers(), topics.jobs()).get(jobId);
    if (previous != null) {
      // A restart: continue after the rows the last transaction recorded.
      published = previous.getRowCount();
    } else {
      // A first start watches for rows appended from now on (or from the row asked for).
      published = fromRow != null ? fromRow : new DirmapReader().read(request.dirmap()).rowCount();
    }
    firstRow = previous != null && fromRow == null ? 0 : published;
    log.info("Watching {} as job {} (reference {}), new rows from row {}", request.dirmap(), jobId,
        request.referenceJobId(), published);
    try (Producer<byte[], byte[]> producer = producers.apply("lwise-ingest-" + jobId)) {
      producer.initTransactions();
      long lastSize = -1;
      while (running.get()) {
        if (folder != null) {
          folder.scan();
        }
        long size = sizeOf(request.dirmap());
        if (size != lastSize) {
          lastSize = size;
          publishNewRows(producer, jobId);
        }
        sleep(Duration.ofMillis(config.watchIntervalMs()));
      }
    }
  }

  public void stop() {
    running.set(false);
  }

  /** One pass: publishes rows beyond those already published. Returns how many were new. */
  long publishNewRows(Producer<byte[], byte[]> producer, String jobId) {
    Dirmap dirmap = new DirmapReader().read(request.dirmap());
    int labelColumn = dirmap.column(request.labelColumn());
    if (labelColumn < 0) {
      throw new IllegalArgumentException("label column '" + request.labelColumn() + "' is not in " + dirmap.csv());
    }
    if (dirmap.rowCount() <= published) {
      return 0;
    }
    DatasetPaths paths = new DatasetPaths(dirmap.root());
    List<DirmapRow> fresh = new ArrayList<>();
    for (DirmapRow row : dirmap.rows()) {
      if (row.index() >= published) {
        fresh.add(row);
      }
    }
    List<Dirmap.RowProblem> freshProblems = dirmap.problems().stream().filter(p -> p.index() >= published).toList();
    Job job = IngestPipeline.job(jobId, request, dirmap, labelColumn);
    job.setOpenEnded(true);
    producer.beginTransaction();
    try {
      TopicProducer out = new TopicProducer(producer);
      out.send(topics.jobs(), jobId, job);
      for (Dirmap.RowProblem problem : freshProblems) {
        String key = RecordKeys.row(jobId, problem.index());
        out.send(topics.deadLetters(), key, DeadLetters.of("ingest",
            "malformed CSV row at line " + problem.line() + ": " + problem.reason(), key, jobId, problem.index(),
            dirmap.csv() + ":" + problem.line()));
      }
      for (DirmapRow row : fresh) {
        rows.publish(out, job, dirmap, row, labelColumn, paths);
      }
      producer.commitTransaction();
    } catch (RuntimeException e) {
      producer.abortTransaction();
      throw e;
    }
    long added = dirmap.rowCount() - published;
    published = dirmap.rowCount();
    log.info("Watch job {}: published {} new rows ({} in all)", jobId, added, published);
    return added;
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read watched dirmap " + file, e);
    }
  }

  private void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.set(false);
    }
  }
}
