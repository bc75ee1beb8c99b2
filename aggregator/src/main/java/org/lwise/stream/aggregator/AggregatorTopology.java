package org.lwise.stream.aggregator;

import java.time.Duration;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.Topic;
import org.lwise.stream.common.TopicNames;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.JobEvent;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.Outcome;
import org.lwise.stream.schema.RowState;
import org.lwise.stream.schema.Score;
import org.lwise.stream.schema.ScoredImage;
import org.lwise.stream.schema.UploadResult;

/**
 * The aggregator's topology. Jobs, scores, upload results and dead letters are wrapped as {@link
 * JobEvent}s and re-keyed by job (scores and uploads arrive keyed by row, spread over partitions),
 * so that one task sees all of a job; {@link DirmapAssembler} folds them into the row and job
 * stores and emits written dirmaps and, per completed row, the live feed.
 */
public final class AggregatorTopology {
  public static final String ROWS_STORE = "lwise-rows";
  public static final String JOBS_STORE = "lwise-job-progress";

  /** Ids of the participants' answers already counted: an answer posted twice counts once. */
  public static final String OUTCOME_IDS_STORE = "lwise-outcome-ids";

  private AggregatorTopology() {}

  /** Serdes of the topology's internal records. */
  public record InternalSerdes(
      Serde<JobEvent> events, Serde<RowState> rows, Serde<JobProgress> progress) {}

  public static Topology build(
      PipelineTopics topics, InternalSerdes serdes, DirmapSink sink, Duration watchInterval) {
    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, JobEvent> jobs =
        stream(builder, topics.jobs(), Job.class)
            .mapValues(job -> JobEvent.newBuilder().setJobId(job.getJobId()).setJob(job).build());
    KStream<String, JobEvent> scores =
        stream(builder, topics.scores(), Score.class)
            .mapValues(
                score -> JobEvent.newBuilder().setJobId(score.getJobId()).setScore(score).build());
    KStream<String, JobEvent> uploads =
        stream(builder, topics.uploads(), UploadResult.class)
            .mapValues(
                upload ->
                    JobEvent.newBuilder().setJobId(upload.getJobId()).setUpload(upload).build());
    KStream<String, JobEvent> deadLetters =
        stream(builder, topics.deadLetters(), DeadLetter.class)
            .filter((key, dead) -> dead.getJobId() != null)
            .mapValues(
                dead ->
                    JobEvent.newBuilder().setJobId(dead.getJobId()).setDeadLetter(dead).build());
    // Records this app dead-lettered itself (BadRecordHandlers) come back as their row's failure.
    KStream<String, JobEvent> ownDeadLetters =
        builder.stream(
                TopicNames.AGGREGATOR_DEAD_LETTERS,
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
            .process(DeadLetterReader::new);

    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(ROWS_STORE), Serdes.String(), serdes.rows()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(JOBS_STORE), Serdes.String(), serdes.progress()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(OUTCOME_IDS_STORE), Serdes.String(), Serdes.Long()));

    KStream<String, JobEvent> outcomes =
        stream(builder, topics.outcomes(), Outcome.class)
            .mapValues(
                outcome ->
                    JobEvent.newBuilder().setJobId(outcome.getJobId()).setOutcome(outcome).build());
    KStream<String, JobEvent> merged =
        jobs.merge(scores)
            .merge(uploads)
            .merge(deadLetters)
            .merge(ownDeadLetters)
            .merge(outcomes)
            // All of a job (and of its watch jobs) on one task.
            .selectKey((key, event) -> RecordKeys.jobGroup(event.getJobId()))
            .repartition(
                Repartitioned.<String, JobEvent>as("job-events")
                    .withKeySerde(Serdes.String())
                    .withValueSerde(serdes.events()));
    KStream<String, SpecificRecord> assembled =
        merged.process(
            () -> new DirmapAssembler(sink, watchInterval),
            ROWS_STORE,
            JOBS_STORE,
            OUTCOME_IDS_STORE);
    assembled
        .filter((key, value) -> value instanceof DirmapWritten)
        .mapValues(value -> (DirmapWritten) value)
        .to(
            topics.dirmaps().name(),
            Produced.with(topics.dirmaps().keySerde(), topics.dirmaps().valueSerde()));
    assembled
        .filter((key, value) -> value instanceof ScoredImage)
        .mapValues(value -> (ScoredImage) value)
        .to(
            topics.scoredImages().name(),
            Produced.with(topics.scoredImages().keySerde(), topics.scoredImages().valueSerde()));
    return builder.build();
  }

  /**
   * A source that dead-letters null values and records of another type instead of passing them on.
   */
  private static <V> KStream<String, V> stream(
      StreamsBuilder builder, Topic<String, V> topic, Class<V> type) {
    return builder.stream(
        topic.name(), Consumed.with(topic.keySerde(), ReadableValues.of(type, topic.valueSerde())));
  }
}
