package org.lwise.stream.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.Producer;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.common.Digests;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.TopicProducer;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.dirmap.DatasetPaths;
import org.lwise.stream.dirmap.Dirmap;
import org.lwise.stream.dirmap.DirmapReader;
import org.lwise.stream.dirmap.DirmapRow;
import org.lwise.stream.schema.Job;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watch mode: publishes rows as they are appended to a dirmap (newly collected clinical images),
 * starting after the rows present when it first starts (or from a given row), as an open-ended job
 * scored against a finished reference job's logit range. A row whose image file is not there yet
 * waits for it while later rows go out ({@link WatchProgress}); a row whose output an earlier row
 * owns is dead-lettered ({@link OutputClaims}). Each pass goes out in one transaction together with
 * the job record's progress (row count = the first row not handled, plus the rows handled past it),
 * which is also where a restarted watcher finds how far it got.
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
  private final LongSupplier clock;
  private volatile WatchProgress progress;
  private volatile long firstRow;
  private volatile long imagesPublished;
  private volatile long deadLettered;

  public DirmapWatcher(
      IngestConfig config,
      PipelineTopics topics,
      Function<String, Producer<byte[], byte[]>> producers,
      ImageStager stager,
      JobRequest request,
      Long fromRow) {
    this(config, topics, producers, stager, request, fromRow, System::currentTimeMillis);
  }

  /**
   * @param clock milliseconds, for how long rows have waited for their image files
   */
  DirmapWatcher(
      IngestConfig config,
      PipelineTopics topics,
      Function<String, Producer<byte[], byte[]>> producers,
      ImageStager stager,
      JobRequest request,
      Long fromRow,
      LongSupplier clock) {
    if (request.referenceJobId() == null) {
      throw new IllegalArgumentException(
          "watch mode needs a reference job (its logit range scores new images)");
    }
    this.config = config;
    this.topics = topics;
    this.producers = producers;
    this.rows = new RowPublisher(topics, config.inlineImageMaxBytes(), stager);
    this.request = request;
    this.fromRow = fromRow;
    this.clock = clock;
  }

  /**
   * Also watch a folder: files dropped into it become rows of the watched dirmap ({@link
   * FolderDirmap}).
   */
  public DirmapWatcher watchingFolder(FolderDirmap folder) {
    if (!folder.dirmap().equals(request.dirmap().toAbsolutePath().normalize())) {
      throw new IllegalArgumentException(
          "the watched dirmap must be the folder's " + folder.dirmap());
    }
    this.folder = folder;
    return this;
  }

  /** The watch job's id: beside its reference job, one per watched dirmap and request. */
  public String jobId() {
    String identity =
        request.dirmap().toAbsolutePath().normalize()
            + "|"
            + request.modelId()
            + "|"
            + request.conditions().stream().map(c -> c.getId()).toList()
            + "|"
            + request.labelColumn();
    return RecordKeys.watchJobId(
        request.referenceJobId(),
        Digests.sha256(identity.getBytes(StandardCharsets.UTF_8)).substring(0, 12));
  }

  /**
   * The watermark: every row of the dirmap before it is handled (skipped at the first start,
   * published or dead-lettered); the first row still waiting for its image file, if any, is this
   * one.
   */
  public long published() {
    WatchProgress now = progress;
    return now == null ? 0 : now.watermark();
  }

  /**
   * Rows this watch job has handled — published or dead-lettered, not those skipped at its first
   * start nor those still waiting for their image file. The rows whose scores or dead letters the
   * console can expect.
   */
  public long newRows() {
    WatchProgress now = progress;
    return now == null ? 0 : Math.max(0, now.handled() - firstRow);
  }

  /** Rows this watcher (this process) sent as image records. */
  public long imagesPublished() {
    return imagesPublished;
  }

  /**
   * Rows this watcher (this process) dead-lettered: malformed, output owned by an earlier row, bad
   * or never-arriving image.
   */
  public long deadLettered() {
    return deadLettered;
  }

  /** Rows now waiting for their image file to appear or stop changing size; they are not lost. */
  public int waitingRows() {
    WatchProgress now = progress;
    return now == null ? 0 : now.waiting();
  }

  @Override
  public void run() {
    String jobId = jobId();
    if (folder != null) {
      folder.scan();
    }
    startFrom(TopicReader.latest(config.connection().bootstrapServers(), topics.jobs()).get(jobId));
    log.info(
        "Watching {} as job {} (reference {}), new rows from row {}{}",
        request.dirmap(),
        jobId,
        request.referenceJobId(),
        progress.watermark(),
        progress.handled() > progress.watermark()
            ? " (and "
                + (progress.handled() - progress.watermark())
                + " rows after it already handled)"
            : "");
    try (Producer<byte[], byte[]> producer = producers.apply("lwise-ingest-" + jobId)) {
      producer.initTransactions();
      long lastSize = -1;
      while (running.get()) {
        if (folder != null) {
          folder.scan();
        }
        long size = sizeOf(request.dirmap());
        // Rows waiting for their image file are looked at again on every pass, new rows or not.
        if (size != lastSize || progress.waiting() > 0) {
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

  /**
   * Where this watch job starts: after what its last transaction recorded (a restart), else after
   * the dirmap's current rows or at the row asked for (a first start).
   */
  void startFrom(Job previous) {
    long watermark;
    List<Long> ahead = List.of();
    if (previous != null) {
      watermark = previous.getRowCount();
      ahead = previous.getRowsAhead();
    } else {
      watermark = fromRow != null ? fromRow : new DirmapReader().read(request.dirmap()).rowCount();
    }
    firstRow = previous != null && fromRow == null ? 0 : watermark;
    progress = new WatchProgress(watermark, ahead, config.watchMissingFileTimeoutMs(), clock);
  }

  /**
   * One pass: publishes the rows not handled yet whose images are ready. Returns how many rows it
   * handled.
   */
  long publishNewRows(Producer<byte[], byte[]> producer, String jobId) {
    Dirmap dirmap = new DirmapReader().read(request.dirmap());
    int labelColumn = dirmap.column(request.labelColumn());
    if (labelColumn < 0) {
      throw new IllegalArgumentException(
          "label column '" + request.labelColumn() + "' is not in " + dirmap.csv());
    }
    DatasetPaths paths = new DatasetPaths(dirmap.root());
    OutputClaims outputs = OutputClaims.of(dirmap, request.outputFormat());
    WatchProgress.Pass pass = progress.plan(dirmap, outputs, paths);
    if (pass.isEmpty()) {
      return 0;
    }
    Job job = IngestPipeline.job(jobId, request, dirmap, labelColumn);
    job.setOpenEnded(true);
    job.setRowCount(pass.watermark());
    job.setRowsAhead(pass.ahead());
    long sent = 0;
    long dead = 0;
    producer.beginTransaction();
    try {
      TopicProducer out = new TopicProducer(producer);
      out.send(topics.jobs(), jobId, job);
      for (Dirmap.RowProblem problem : pass.malformed()) {
        String key = RecordKeys.row(jobId, problem.index());
        out.send(
            topics.deadLetters(),
            key,
            DeadLetters.of(
                "ingest",
                "malformed CSV row at line " + problem.line() + ": " + problem.reason(),
                key,
                jobId,
                problem.index(),
                dirmap.csv() + ":" + problem.line()));
      }
      for (WatchProgress.DeadRow row : pass.deadLetters()) {
        rows.deadLetter(out, jobId, dirmap, row.row(), row.reason());
      }
      for (DirmapRow row : pass.publish()) {
        if (rows.publish(out, job, dirmap, row, labelColumn, paths, outputs)) {
          sent++;
        } else {
          dead++;
        }
      }
      producer.commitTransaction();
    } catch (RuntimeException e) {
      producer.abortTransaction();
      throw e;
    }
    progress.handled(pass);
    dead += pass.malformed().size() + pass.deadLetters().size();
    imagesPublished += sent;
    deadLettered += dead;
    log.info(
        "Watch job {}: published {} rows, dead-lettered {}; {} waiting for their image file; rows before {} "
            + "all handled",
        jobId,
        sent,
        dead,
        progress.waiting(),
        pass.watermark());
    return sent + dead;
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read watched dirmap " + file, e);
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
