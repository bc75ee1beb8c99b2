package org.lwise.stream.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.common.Digests;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.TopicProducer;
import org.lwise.stream.dirmap.DatasetPaths;
import org.lwise.stream.dirmap.Dirmap;
import org.lwise.stream.dirmap.DirmapReader;
import org.lwise.stream.dirmap.DirmapRow;
import org.lwise.stream.schema.ImageRecord;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.JobContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns one dirmap row into an image record, or into a dead letter saying why it cannot be. */
final class RowPublisher {
  private static final Logger log = LoggerFactory.getLogger(RowPublisher.class);

  private final PipelineTopics topics;
  private final int inlineMaxBytes;
  private final ImageStager stager;

  RowPublisher(PipelineTopics topics, int inlineMaxBytes, ImageStager stager) {
    this.topics = topics;
    this.inlineMaxBytes = inlineMaxBytes;
    this.stager = stager;
  }

  /**
   * Returns true when an image record was sent, false when a dead letter was — also when an earlier
   * row owns the row's output ({@link OutputClaims}).
   */
  boolean publish(
      TopicProducer out,
      Job job,
      Dirmap dirmap,
      DirmapRow row,
      int labelColumn,
      DatasetPaths paths,
      OutputClaims outputs) {
    String jobId = job.getJobId();
    String key = RecordKeys.row(jobId, row.index());
    String imPath = row.values().get(dirmap.column("im_path"));
    String source = dirmap.csv() + ":" + row.line();
    String clash = outputs.clash(row);
    if (clash != null) {
      deadLetter(out, jobId, dirmap, row, clash);
      return false;
    }
    try {
      int label = DirmapReader.parseLabel(row.values().get(labelColumn));
      Path file = paths.resolve(imPath);
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length == 0) {
        throw new IllegalArgumentException("image file is empty: " + file);
      }
      String contentType = ImageFiles.contentType(bytes, file.getFileName().toString());
      String sha256 = Digests.sha256(bytes);
      ImageRecord.Builder record =
          ImageRecord.newBuilder()
              .setJobId(jobId)
              .setRowIndex(row.index())
              .setValues(row.values())
              .setLabel(label)
              .setImPath(imPath)
              .setContentType(contentType)
              .setSha256(sha256)
              .setContext(context(job));
      if (bytes.length > inlineMaxBytes) {
        record.setImageRef(stager.stage(bytes, sha256, contentType));
      } else {
        record.setImage(ByteBuffer.wrap(bytes));
      }
      out.send(topics.images(), key, record.build());
      return true;
    } catch (DatasetPaths.BadPathException | IllegalArgumentException e) {
      deadLetter(
          out,
          jobId,
          row,
          key,
          source,
          "row " + row.index() + " (line " + row.line() + "): " + e.getMessage());
      return false;
    } catch (IOException e) {
      deadLetter(
          out,
          jobId,
          row,
          key,
          source,
          "row "
              + row.index()
              + " (line "
              + row.line()
              + "): cannot read image '"
              + imPath
              + "': "
              + e);
      return false;
    }
  }

  /** What the gpu-worker needs of the job, carried in each of its image records. */
  static JobContext context(Job job) {
    return JobContext.newBuilder()
        .setDataset(job.getDataset())
        .setModelId(job.getModelId())
        .setConditions(job.getConditions())
        .setClassesPresent(job.getClassesPresent())
        .setOutputFormat(job.getOutputFormat())
        .build();
  }

  /**
   * Dead-letters a row that is not published, with the reason ("row N (line L): " is prepended).
   */
  void deadLetter(TopicProducer out, String jobId, Dirmap dirmap, DirmapRow row, String reason) {
    deadLetter(
        out,
        jobId,
        row,
        RecordKeys.row(jobId, row.index()),
        dirmap.csv() + ":" + row.line(),
        "row " + row.index() + " (line " + row.line() + "): " + reason);
  }

  private void deadLetter(
      TopicProducer out, String jobId, DirmapRow row, String key, String source, String reason) {
    log.info("Job {}: {}", jobId, reason);
    out.send(
        topics.deadLetters(),
        key,
        DeadLetters.of("ingest", reason, key, jobId, row.index(), source));
  }
}
