package org.lwise.stream.ingest;

/**
 * What one submission published. {@code alreadySubmitted}: the job was on Kafka before; nothing was
 * sent.
 */
public record IngestReport(
    String jobId, long rows, long published, long deadLettered, boolean alreadySubmitted) {}
