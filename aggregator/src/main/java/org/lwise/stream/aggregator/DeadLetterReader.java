package org.lwise.stream.aggregator;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.errors.internals.ExceptionHandlerUtils;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.schema.JobEvent;

/**
 * Reads back a record the aggregator dead-lettered ({@link BadRecordHandlers}) and, when it names a
 * job, turns it into that job's dead-letter event, so a row whose score or upload was unreadable
 * counts as failed and its job completes. Reads only headers: it cannot fail on the bytes.
 */
final class DeadLetterReader implements Processor<byte[], byte[], String, JobEvent> {
  static final String STAGE = "aggregator";

  private ProcessorContext<String, JobEvent> context;

  @Override
  public void init(ProcessorContext<String, JobEvent> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    Headers headers = record.headers();
    String jobId = text(headers, BadRecordHandlers.HEADER_JOB);
    if (jobId == null) {
      return; // logged when it was dead-lettered; nothing to count it towards
    }
    String row = text(headers, BadRecordHandlers.HEADER_ROW);
    String source =
        text(headers, ExceptionHandlerUtils.HEADER_ERRORS_TOPIC_NAME)
            + " partition "
            + text(headers, ExceptionHandlerUtils.HEADER_ERRORS_PARTITION_NAME)
            + " offset "
            + text(headers, ExceptionHandlerUtils.HEADER_ERRORS_OFFSET_NAME);
    String reason =
        "unreadable record on "
            + source
            + ": "
            + text(headers, ExceptionHandlerUtils.HEADER_ERRORS_EXCEPTION_NAME)
            + ": "
            + text(headers, ExceptionHandlerUtils.HEADER_ERRORS_EXCEPTION_MESSAGE_NAME);
    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    var dead =
        DeadLetters.of(STAGE, reason, key, jobId, row == null ? null : Long.valueOf(row), source);
    context.forward(
        record
            .withKey(jobId)
            .withValue(JobEvent.newBuilder().setJobId(jobId).setDeadLetter(dead).build()));
  }

  private static String text(Headers headers, String name) {
    Header header = headers.lastHeader(name);
    return header == null || header.value() == null
        ? null
        : new String(header.value(), StandardCharsets.UTF_8);
  }
}
