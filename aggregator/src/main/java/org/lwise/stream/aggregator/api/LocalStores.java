package org.lwise.stream.aggregator.api;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.lwise.stream.aggregator.AggregatorTopology;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.RowState;

/**
 * Reads of this instance's part of the aggregator's state (Kafka Streams interactive queries). When
 * the stores cannot be read — the app is starting, restoring or rebalancing — a read throws a 503
 * {@link ApiException}, so clients retry instead of seeing a partial answer.
 */
final class LocalStores {
  private final KafkaStreams streams;

  LocalStores(KafkaStreams streams) {
    this.streams = streams;
  }

  /** Every job this instance holds. */
  List<JobProgress> jobs() {
    List<JobProgress> jobs = new ArrayList<>();
    try (KeyValueIterator<String, JobProgress> it =
        this.<JobProgress>store(AggregatorTopology.JOBS_STORE).all()) {
      it.forEachRemaining(
          entry -> {
            if (entry.value.getJob() != null) {
              jobs.add(entry.value);
            }
          });
    } catch (InvalidStateStoreException moved) {
      throw notQueryable();
    }
    return jobs;
  }

  /** A job this instance holds, or null. */
  JobProgress job(String jobId) {
    try {
      JobProgress progress = this.<JobProgress>store(AggregatorTopology.JOBS_STORE).get(jobId);
      return progress == null || progress.getJob() == null ? null : progress;
    } catch (InvalidStateStoreException moved) {
      throw notQueryable();
    }
  }

  /** A job's rows in dirmap order. */
  List<RowState> rows(String jobId) {
    List<RowState> rows = new ArrayList<>();
    try (KeyValueIterator<String, RowState> it =
        this.<RowState>store(AggregatorTopology.ROWS_STORE)
            .range(RecordKeys.firstRow(jobId), RecordKeys.lastRow(jobId))) {
      it.forEachRemaining(entry -> rows.add(entry.value));
    } catch (InvalidStateStoreException moved) {
      throw notQueryable();
    }
    return rows;
  }

  private <V> ReadOnlyKeyValueStore<String, V> store(String name) {
    if (streams.state() != KafkaStreams.State.RUNNING) {
      throw notQueryable();
    }
    try {
      return streams.store(
          StoreQueryParameters.fromNameAndType(
              name, QueryableStoreTypes.<String, V>keyValueStore()));
    } catch (InvalidStateStoreException notYet) {
      throw notQueryable();
    }
  }

  private ApiException notQueryable() {
    return ApiException.unavailable(
        "the aggregator's state is not queryable right now (Kafka Streams is "
            + streams.state()
            + "); retry in a few seconds");
  }
}
