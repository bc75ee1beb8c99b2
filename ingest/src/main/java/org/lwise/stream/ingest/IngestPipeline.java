package org.lwise.stream.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.common.Digests;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.S3Layout;
import org.lwise.stream.common.TopicProducer;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.dirmap.DatasetPaths;
import org.lwise.stream.dirmap.Dirmap;
import org.lwise.stream.dirmap.DirmapReader;
import org.lwise.stream.dirmap.DirmapRow;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.Job;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a dirmap as a job: the job record, then one image record per usable row, and a dead
 * letter for every row that cannot be used — all in one Kafka transaction, so a crash half-way
 * leaves nothing visible and a re-run neither loses nor duplicates rows.
 */
public final class IngestPipeline {
  private static final Logger log = LoggerFactory.getLogger(IngestPipeline.class);

  private final IngestConfig config;
  private final PipelineTopics topics;
  private final Function<String, Producer<byte[], byte[]>> producers;
  private final RowPublisher rows;

  /**
   * @param producers creates a transactional producer for a transactional id
   * @param stager where images above the inline limit go
   */
  public IngestPipeline(
      IngestConfig config,
      PipelineTopics topics,
      Function<String, Producer<byte[], byte[]>> producers,
      ImageStager stager) {
    this.config = config;
    this.topics = topics;
    this.producers = producers;
    this.rows = new RowPublisher(topics, config.inlineImageMaxBytes(), stager);
  }

  /** Submits a dirmap; returns at once if a job with the same id was already submitted. */
  public IngestReport submit(JobRequest request, LongConsumer rowsDone) {
    checkBuckets(request, config.connection().s3Layout());
    Dirmap dirmap = new DirmapReader().read(request.dirmap());
    int labelColumn = dirmap.column(request.labelColumn());
    if (labelColumn < 0) {
      throw new IllegalArgumentException(
          "label column '"
              + request.labelColumn()
              + "' is not in dirmap "
              + dirmap.csv()
              + "; columns: "
              + dirmap.header());
    }
    String jobId = jobId(request, dirmap.csv());
    Map<String, Job> submitted =
        TopicReader.latest(config.connection().bootstrapServers(), topics.jobs());
    if (submitted.containsKey(jobId)) {
      log.info("Job {} was submitted before; not publishing it again", jobId);
      return new IngestReport(jobId, dirmap.rowCount(), 0, 0, true);
    }
    return publish(request, dirmap, labelColumn, jobId, rowsDone);
  }

  /** Publishes a job not submitted before, in one transaction (tests call it without a broker). */
  IngestReport publish(
      JobRequest request, Dirmap dirmap, int labelColumn, String jobId, LongConsumer rowsDone) {
    Job job = job(jobId, request, dirmap, labelColumn);
    DatasetPaths paths = new DatasetPaths(dirmap.root());
    long published = 0;
    long dead = 0;
    try (Producer<byte[], byte[]> producer = producers.apply("lwise-ingest-" + jobId)) {
      producer.initTransactions();
      producer.beginTransaction();
      TopicProducer out = new TopicProducer(producer);
      out.send(topics.jobs(), jobId, job);
      for (Dirmap.RowProblem problem : dirmap.problems()) {
        String reason = "malformed CSV row at line " + problem.line() + ": " + problem.reason();
        out.send(
            topics.deadLetters(),
            RecordKeys.row(jobId, problem.index()),
            DeadLetters.of(
                "ingest",
                reason,
                RecordKeys.row(jobId, problem.index()),
                jobId,
                problem.index(),
                dirmap.csv() + ":" + problem.line()));
        log.info("Job {} row {}: {}", jobId, problem.index(), reason);
        dead++;
        rowsDone.accept(1);
      }
      OutputClaims outputs = OutputClaims.of(dirmap, request.outputFormat());
      for (DirmapRow row : dirmap.rows()) {
        if (rows.publish(out, job, dirmap, row, labelColumn, paths, outputs)) {
          published++;
        } else {
          dead++;
        }
        rowsDone.accept(1);
      }
      producer.commitTransaction();
    }
    log.info(
        "Job {} submitted: {} rows, {} image records, {} dead letters",
        jobId,
        dirmap.rowCount(),
        published,
        dead);
    return new IngestReport(jobId, dirmap.rowCount(), published, dead, false);
  }

  /**
   * Every bucket the job will write to must be a valid S3 name (at most 63 characters with the
   * prefix and the longest condition id); found out here, not by the uploader on the first image.
   */
  static void checkBuckets(JobRequest request, S3Layout layout) {
    layout.bucket(request.dataset(), Conditions.NATURAL);
    for (Condition condition : request.conditions()) {
      layout.bucket(request.dataset(), condition.getId());
    }
  }

  static Job job(String jobId, JobRequest request, Dirmap dirmap, int labelColumn) {
    TreeSet<Integer> classes = new TreeSet<>();
    for (DirmapRow row : dirmap.rows()) {
      try {
        classes.add(DirmapReader.parseLabel(row.values().get(labelColumn)));
      } catch (IllegalArgumentException badLabel) {
        // That row is dead-lettered when it is published; it contributes no class.
      }
    }
    return Job.newBuilder()
        .setJobId(jobId)
        .setDataset(request.dataset())
        .setModelId(request.modelId())
        .setLabelColumn(request.labelColumn())
        .setColumns(dirmap.header())
        .setScore(request.score())
        .setConditions(request.conditions())
        .setClassesPresent(new ArrayList<>(classes))
        .setOutputFormat(request.outputFormat())
        .setKeepInputColumns(request.keepInputColumns())
        .setRowCount(dirmap.rowCount())
        .setOpenEnded(false)
        .setReferenceJobId(request.referenceJobId())
        .setCreatedAt(Instant.now())
        .build();
  }

  /**
   * Same dirmap content and same request = same job id, which is what makes a re-run resume instead
   * of starting over.
   */
  /**
   * The id a submission of {@code request} gets (reads the dirmap), to look a job up without
   * submitting it.
   */
  public static String jobId(JobRequest request) {
    return jobId(request, new DirmapReader().read(request.dirmap()).csv());
  }

  static String jobId(JobRequest request, Path csv) {
    StringBuilder identity = new StringBuilder();
    try {
      identity.append(Digests.sha256(Files.readAllBytes(csv)));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read dirmap " + csv, e);
    }
    identity
        .append('|')
        .append(request.dataset())
        .append('|')
        .append(request.modelId())
        .append('|')
        .append(request.labelColumn())
        .append('|')
        .append(request.score())
        .append('|')
        .append(request.outputFormat());
    for (Condition c : request.conditions()) {
      identity.append('|').append(c.getId());
    }
    if (request.keepInputColumns()) {
      // Other dirmaps, so another job; only when set, so the ids of existing jobs stay as they
      // were.
      identity.append("|keep-input-columns");
    }
    String digest = Digests.sha256(identity.toString().getBytes(StandardCharsets.UTF_8));
    String dataset = request.dataset().toLowerCase().replaceAll("[^a-z0-9]+", "-");
    return dataset + "-" + digest.substring(0, 12);
  }
}
