package org.lwise.stream.uploader;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.lwise.stream.common.AtomicFiles;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.ObjectStore;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.S3Layout;
import org.lwise.stream.common.TransactionalBatch;
import org.lwise.stream.common.TransientFailures;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.EnhancedImage;
import org.lwise.stream.schema.UploadResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Uploads each polled batch of output images concurrently, then commits their upload results and
 * the consumed offsets in one transaction. Uploads are idempotent (deterministic keys, content
 * digest check), so a batch replayed after a crash rewrites nothing.
 */
public final class UploadPipeline implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(UploadPipeline.class);

  private final UploaderConfig config;
  private final PipelineTopics topics;
  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> producer;
  private final ObjectStore store;
  private final InfrastructureRetry retry;
  private final AtomicBoolean running = new AtomicBoolean(true);

  public UploadPipeline(
      UploaderConfig config,
      PipelineTopics topics,
      Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> producer,
      ObjectStore store,
      InfrastructureRetry retry) {
    this.config = config;
    this.topics = topics;
    this.consumer = consumer;
    this.producer = producer;
    this.store = store;
    this.retry = retry;
  }

  private record Upload(
      EnhancedImage image, String bucket, String key, CompletableFuture<Boolean> written) {}

  @Override
  public void run() {
    producer.initTransactions();
    consumer.subscribe(List.of(topics.enhanced().name()));
    log.info("uploader consuming {} as group {}", topics.enhanced().name(), config.groupId());
    try {
      while (running.get()) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
        if (!records.isEmpty()) {
          processBatch(records);
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    }
  }

  public void stop() {
    running.set(false);
    consumer.wakeup();
  }

  private void processBatch(ConsumerRecords<byte[], byte[]> records) {
    S3Layout layout = config.connection().s3Layout();
    List<Upload> uploads = new ArrayList<>();
    List<DeadLetter> unreadable = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      offsets.put(
          new TopicPartition(record.topic(), record.partition()),
          new OffsetAndMetadata(record.offset() + 1));
      EnhancedImage image;
      try {
        image = retry.get(() -> read(record));
      } catch (RuntimeException e) {
        if (TransientFailures.isTransient(e)) {
          throw e; // the registry stayed unreachable for retry.timeout.ms: stop, nothing committed
        }
        unreadable.add(unreadable(record, e));
        continue;
      }
      byte[] bytes = bytes(image.getImage());
      String bucket;
      String key;
      try {
        writeLocal(image, bytes);
        bucket = layout.bucket(image.getDataset(), image.getConditionId());
        key = layout.key(image.getDataset(), image.getConditionId(), image.getImPath());
      } catch (IllegalArgumentException badName) {
        uploads.add(new Upload(image, null, null, CompletableFuture.failedFuture(badName)));
        continue;
      }
      uploads.add(
          new Upload(
              image,
              bucket,
              key,
              retry.getAsync(
                  () -> store.put(bucket, key, bytes, image.getContentType(), image.getSha256()))));
    }
    // Every upload finishes (or is given up) before the transaction opens, so a transaction holds
    // only sends and stays far inside its short timeout even while S3 is slow or away.
    List<Outcome> outcomes = new ArrayList<>(uploads.size());
    for (Upload upload : uploads) {
      outcomes.add(outcome(upload, layout));
    }
    // Aborted whole on a transient failure (registry or broker briefly away), so sent again.
    retry.run(
        () ->
            TransactionalBatch.commit(
                producer,
                offsets,
                consumer.groupMetadata(),
                out -> {
                  unreadable.forEach(
                      dead -> out.send(topics.deadLetters(), dead.getRecordKey(), dead));
                  for (Outcome outcome : outcomes) {
                    if (outcome.uploaded() != null) {
                      UploadResult uploaded = outcome.uploaded();
                      out.send(
                          topics.uploads(),
                          RecordKeys.output(
                              uploaded.getJobId(),
                              uploaded.getConditionId(),
                              uploaded.getRowIndex()),
                          uploaded);
                    } else {
                      out.send(
                          topics.deadLetters(),
                          outcome.deadLetter().getRecordKey(),
                          outcome.deadLetter());
                    }
                  }
                }));
    log.debug("Uploaded {} images", uploads.size());
  }

  private EnhancedImage read(ConsumerRecord<byte[], byte[]> record) {
    EnhancedImage image =
        topics.enhanced().valueSerde().deserializer().deserialize(record.topic(), record.value());
    if (image == null) {
      throw new IllegalArgumentException("empty record value");
    }
    return image;
  }

  /**
   * What one output image ends as: its upload result, or a dead letter when S3 refused it for good.
   */
  private record Outcome(UploadResult uploaded, DeadLetter deadLetter) {}

  /** The upload's result record, or a dead letter when S3 refused it for good (bad name, 4xx). */
  private Outcome outcome(Upload upload, S3Layout layout) {
    EnhancedImage image = upload.image();
    String recordKey =
        RecordKeys.output(image.getJobId(), image.getConditionId(), image.getRowIndex());
    try {
      boolean written = upload.written().join();
      return new Outcome(
          UploadResult.newBuilder()
              .setJobId(image.getJobId())
              .setRowIndex(image.getRowIndex())
              .setConditionId(image.getConditionId())
              .setBucket(upload.bucket())
              .setKey(upload.key())
              .setImPath(image.getImPath())
              .setUrl(layout.url(upload.bucket(), upload.key()))
              .setSha256(image.getSha256())
              .setSkippedExisting(!written)
              .build(),
          null);
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (!isBadInput(cause)) {
        // S3 stayed unreachable for retry.timeout.ms, or refused for a reason no row can fix (403):
        // stop the stage, nothing of this batch is committed, and a restart resumes.
        String what =
            TransientFailures.isTransient(cause)
                ? "S3 unreachable for " + retry.timeout().toSeconds() + " s (retry.timeout.ms)"
                : "S3 refused the upload of "
                    + image.getImPath()
                    + " (check the credentials and the bucket's permissions)";
        throw new IllegalStateException(
            what + ": " + InfrastructureRetry.rootMessage(cause), cause);
      }
      String reason =
          "cannot upload "
              + image.getImPath()
              + " ("
              + image.getConditionId()
              + "): "
              + cause.getMessage();
      log.info("Job {}: {}", image.getJobId(), reason);
      return new Outcome(
          null,
          DeadLetters.of(
              "uploader",
              reason,
              recordKey,
              image.getJobId(),
              image.getRowIndex(),
              image.getImPath()));
    }
  }

  /**
   * A record that will never be an output image: dead-lettered with the job and row its key names.
   */
  private static DeadLetter unreadable(ConsumerRecord<byte[], byte[]> record, RuntimeException e) {
    DeadLetter dead = DeadLetters.unreadable("uploader", "output image record", record, e);
    log.warn("Job {} row {}: {}", dead.getJobId(), dead.getRowIndex(), dead.getReason());
    return dead;
  }

  /** Refusals that retrying cannot fix (a bad bucket name or key): a dead letter, not a stop. */
  private static final Set<String> BAD_INPUT_ERROR_CODES =
      Set.of("InvalidBucketName", "KeyTooLongError", "InvalidArgument", "InvalidObjectName");

  static boolean isBadInput(Throwable cause) {
    if (cause instanceof IllegalArgumentException) {
      return true;
    }
    // Not every 400 is the record's fault (RequestTimeout, ExpiredToken): only these name its
    // bucket or key.
    return cause instanceof S3Exception s3e
        && s3e.statusCode() == 400
        && s3e.awsErrorDetails() != null
        && BAD_INPUT_ERROR_CODES.contains(s3e.awsErrorDetails().errorCode());
  }

  private void writeLocal(EnhancedImage image, byte[] bytes) {
    if (config.localDir() == null) {
      return;
    }
    Path root = config.localDir().normalize();
    Path folder = root.resolve(image.getDataset() + "_" + image.getConditionId()).normalize();
    Path target = folder.resolve(image.getImPath().replace('\\', '/')).normalize();
    if (!folder.startsWith(root) || !target.startsWith(folder)) {
      throw new IllegalArgumentException(
          "output path escapes the output folder: dataset '"
              + image.getDataset()
              + "', path '"
              + image.getImPath()
              + "'");
    }
    AtomicFiles.write(target, bytes);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }
}
