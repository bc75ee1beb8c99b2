package org.lwise.stream.uploader;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.lwise.stream.common.JobDirectory;
import org.lwise.stream.common.ObjectStore;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.S3Layout;
import org.lwise.stream.common.TransactionalBatch;
import org.lwise.stream.schema.EnhancedImage;
import org.lwise.stream.schema.Job;
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
  private final JobDirectory jobs;
  private final AtomicBoolean running = new AtomicBoolean(true);

  public UploadPipeline(UploaderConfig config, PipelineTopics topics, Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> producer, ObjectStore store, JobDirectory jobs) {
    this.config = config;
    this.topics = topics;
    this.consumer = consumer;
    this.producer = producer;
    this.store = store;
    this.jobs = jobs;
  }

  private record Upload(EnhancedImage image, String bucket, String key, CompletableFuture<Boolean> written) {}

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
    List<org.lwise.stream.schema.DeadLetter> unreadable = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      offsets.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
      EnhancedImage image;
      Job job;
      try {
        image = topics.enhanced().valueSerde().deserializer().deserialize(record.topic(), record.value());
        job = jobs.get(image.getJobId());
        if (job == null) {
          throw new IllegalStateException("job " + image.getJobId() + " of this output image is not on the jobs topic");
        }
      } catch (RuntimeException e) {
        // Not a readable output image: dead-letter it instead of stopping on it at every restart.
        String source = record.topic() + "-" + record.partition() + "@" + record.offset();
        String key = record.key() == null ? null : new String(record.key(), java.nio.charset.StandardCharsets.UTF_8);
        log.error("Unreadable output image record at {}: {}", source, e.toString(), e);
        unreadable.add(DeadLetters.of("uploader", "unreadable output image record at " + source + ": " + e, key,
            null, null, source));
        continue;
      }
      byte[] bytes = bytes(image.getImage());
      writeLocal(job, image, bytes);
      String bucket;
      String key;
      try {
        bucket = layout.bucket(job.getDataset(), image.getConditionId());
        key = layout.key(job.getDataset(), image.getConditionId(), image.getImPath());
      } catch (IllegalArgumentException badName) {
        uploads.add(new Upload(image, null, null, CompletableFuture.failedFuture(badName)));
        continue;
      }
      uploads.add(new Upload(image, bucket, key,
          store.put(bucket, key, bytes, image.getContentType(), image.getSha256())));
    }
    TransactionalBatch.commit(producer, offsets, consumer.groupMetadata(), out -> {
      unreadable.forEach(dead -> out.send(topics.deadLetters(), dead.getRecordKey(), dead));
      for (Upload upload : uploads) {
        EnhancedImage image = upload.image();
        String recordKey = RecordKeys.output(image.getJobId(), image.getConditionId(), image.getRowIndex());
        try {
          boolean written = upload.written().join();
          out.send(topics.uploads(), recordKey, UploadResult.newBuilder()
              .setJobId(image.getJobId())
              .setRowIndex(image.getRowIndex())
              .setConditionId(image.getConditionId())
              .setBucket(upload.bucket())
              .setKey(upload.key())
              .setImPath(image.getImPath())
              .setUrl(layout.url(upload.bucket(), upload.key()))
              .setSha256(image.getSha256())
              .setSkippedExisting(!written)
              .build());
        } catch (CompletionException e) {
          Throwable cause = e.getCause() == null ? e : e.getCause();
          if (!isBadInput(cause)) {
            throw e; // S3 unreachable after the SDK's retries: stop the stage, nothing is committed.
          }
          String reason = "cannot upload " + image.getImPath() + " (" + image.getConditionId() + "): " + cause.getMessage();
          log.info("Job {}: {}", image.getJobId(), reason);
          out.send(topics.deadLetters(), recordKey,
              DeadLetters.of("uploader", reason, recordKey, image.getJobId(), image.getRowIndex(), image.getImPath()));
        }
      }
    });
    log.debug("Uploaded {} images", uploads.size());
  }

  /** Refusals that retrying cannot fix (a bad bucket name or key): a dead letter, not a stop. */
  private static boolean isBadInput(Throwable cause) {
    if (cause instanceof IllegalArgumentException) {
      return true;
    }
    return cause instanceof S3Exception s3e && s3e.statusCode() == 400;
  }

  private void writeLocal(Job job, EnhancedImage image, byte[] bytes) {
    if (config.localDir() == null) {
      return;
    }
    Path folder = config.localDir().resolve(job.getDataset() + "_" + image.getConditionId()).normalize();
    Path target = folder.resolve(image.getImPath().replace('\\', '/')).normalize();
    if (!target.startsWith(folder)) {
      throw new IllegalStateException("output path escapes its folder: " + image.getImPath());
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
