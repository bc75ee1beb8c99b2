package org.lwise.stream.aggregator;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.internals.ExceptionHandlerUtils;
import org.apache.kafka.streams.processor.api.Record;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.TransientFailures;
import org.lwise.stream.schema.JobEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' exception handlers for the aggregator: a record that cannot be read (KIP-1034) or
 * whose content makes a processor throw (KIP-1033) is sent, as is, to the dead-letter topic with
 * Kafka Streams' error headers (exception, message, topic, partition, offset) plus the job and row
 * it belongs to, and the topology carries on. The topology reads that topic back ({@link
 * DeadLetterReader}) so the row counts as failed and its job still completes.
 *
 * <p>An infrastructure failure that outlived its retries (registry or broker unreachable) is not
 * the record's fault: it stops the app, which exits non-zero, and a restart resumes.
 */
public final class BadRecordHandlers {
  private static final Logger log = LoggerFactory.getLogger(BadRecordHandlers.class);

  /** Headers added to Kafka Streams' own: the job and row the bad record belongs to. */
  public static final String HEADER_JOB = "lwise.job";

  public static final String HEADER_ROW = "lwise.row";

  private BadRecordHandlers() {}

  /**
   * A record whose key or value cannot be deserialized (corrupt bytes, another schema, no value).
   */
  public static final class Deserialization implements DeserializationExceptionHandler {
    private String deadLetterTopic;

    @Override
    public void configure(Map<String, ?> configs) {
      deadLetterTopic =
          (String) configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    }

    @Override
    public Response handleError(
        ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception error) {
      if (TransientFailures.isTransient(error)) {
        return Response.fail(); // already retried (RetryingValueSerdes) for retry.timeout.ms
      }
      return Response.resume(
          deadLetter(
              deadLetterTopic,
              context,
              record.key(),
              record.value(),
              RecordKeys.parse(record.key()),
              error));
    }
  }

  /** A processor threw because of one record's content. */
  public static final class Processing implements ProcessingExceptionHandler {
    private String deadLetterTopic;

    @Override
    public void configure(Map<String, ?> configs) {
      deadLetterTopic =
          (String) configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception error) {
      if (TransientFailures.isTransient(error)) {
        return Response.fail();
      }
      if (record == null || context.topic() == null) {
        // A punctuator's error (no record to blame): it is the aggregator's own failure, not bad
        // input.
        log.error(
            "Aggregator punctuation failed: {}", InfrastructureRetry.rootMessage(error), error);
        return Response.fail();
      }
      if (record.value() instanceof JobEvent event && event.getDeadLetter() != null) {
        // A dead letter read back from the dead-letter topic whose handling failed: dead-lettering
        // it
        // again would feed it back in for ever. Logged and skipped.
        log.error(
            "Skipped dead letter of job {} whose handling failed: {}",
            event.getJobId(),
            InfrastructureRetry.rootMessage(error),
            error);
        return Response.resume(List.of());
      }
      return Response.resume(
          deadLetter(
              deadLetterTopic,
              context,
              context.sourceRawKey(),
              context.sourceRawValue(),
              attribution(context, record),
              error));
    }

    /** After the re-keying, the source key names only the job; the event itself names the row. */
    private static RecordKeys.Attribution attribution(
        ErrorHandlerContext context, Record<?, ?> record) {
      if (record.value() instanceof JobEvent event) {
        return new RecordKeys.Attribution(
            String.valueOf(record.key()), event.getJobId(), rowOf(event));
      }
      return RecordKeys.parse(context.sourceRawKey());
    }

    private static Long rowOf(JobEvent event) {
      if (event.getScore() != null) {
        return event.getScore().getRowIndex();
      }
      if (event.getUpload() != null) {
        return event.getUpload().getRowIndex();
      }
      return event.getDeadLetter() != null ? event.getDeadLetter().getRowIndex() : null;
    }
  }

  static List<ProducerRecord<byte[], byte[]>> deadLetter(
      String deadLetterTopic,
      ErrorHandlerContext context,
      byte[] key,
      byte[] value,
      RecordKeys.Attribution attribution,
      Exception error) {
    String jobId = attribution == null ? null : attribution.jobId();
    Long row = attribution == null ? null : attribution.rowIndex();
    if (context.topic().equals(deadLetterTopic)) {
      // Never feed the dead-letter topic its own records back: log and skip.
      log.error(
          "Skipped unreadable dead letter {} partition {} offset {}: {}",
          context.topic(),
          context.partition(),
          context.offset(),
          InfrastructureRetry.rootMessage(error));
      return List.of();
    }
    log.warn(
        "Bad record on {} partition {} offset {} (job {}, row {}) sent to {}: {}",
        context.topic(),
        context.partition(),
        context.offset(),
        jobId,
        row,
        deadLetterTopic,
        InfrastructureRetry.rootMessage(error));
    ProducerRecord<byte[], byte[]> dead =
        ExceptionHandlerUtils.buildDeadLetterQueueRecord(
            deadLetterTopic, key, value, context, error);
    if (jobId != null) {
      dead.headers().add(HEADER_JOB, jobId.getBytes(StandardCharsets.UTF_8));
    }
    if (row != null) {
      dead.headers().add(HEADER_ROW, row.toString().getBytes(StandardCharsets.UTF_8));
    }
    return List.of(dead);
  }
}
