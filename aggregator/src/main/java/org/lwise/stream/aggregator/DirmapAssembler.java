package org.lwise.stream.aggregator;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.TransientFailures;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.HumanTally;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.JobEvent;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.Outcome;
import org.lwise.stream.schema.RowState;
import org.lwise.stream.schema.Score;
import org.lwise.stream.schema.ScoredImage;
import org.lwise.stream.schema.UploadResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds every event of a job (its description, scores, uploads, dead letters — all keyed by job id)
 * into per-row state, and writes the job's dirmaps once every row is accounted for: done in every
 * condition it belongs to, or dead-lettered. Open-ended (watch) jobs get their dirmaps rewritten on
 * a timer while new rows complete, scored against their reference job's logit range.
 *
 * <p>The row store doubles as the live difficulty table experiment servers query. Each row that
 * completes is also sent on as a {@link ScoredImage} (the live feed); written dirmaps as {@link
 * DirmapWritten}.
 */
public final class DirmapAssembler implements Processor<String, JobEvent, String, SpecificRecord> {
  private static final Logger log = LoggerFactory.getLogger(DirmapAssembler.class);

  private final DirmapSink sink;
  private final Duration watchInterval;
  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, RowState> rows;
  private KeyValueStore<String, JobProgress> jobs;
  private KeyValueStore<String, Long> outcomeIds;

  public DirmapAssembler(DirmapSink sink, Duration watchInterval) {
    this.sink = sink;
    this.watchInterval = watchInterval;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.rows = context.getStateStore(AggregatorTopology.ROWS_STORE);
    this.jobs = context.getStateStore(AggregatorTopology.JOBS_STORE);
    this.outcomeIds = context.getStateStore(AggregatorTopology.OUTCOME_IDS_STORE);
    context.schedule(watchInterval, PunctuationType.WALL_CLOCK_TIME, now -> writeDueDirmaps());
  }

  @Override
  public void process(Record<String, JobEvent> record) {
    JobEvent event = record.value();
    String jobId = event.getJobId();
    JobProgress progress = jobs.get(jobId);
    if (progress == null) {
      progress = JobProgress.newBuilder().build();
    }
    if (event.getJob() != null) {
      DirmapSink.checkNames(event.getJob());
      boolean first = progress.getJob() == null;
      progress.setJob(event.getJob());
      if (first && event.getJob().getOpenEnded()) {
        progress.setIncomingSuffix(incomingSuffix(jobId, event.getJob()));
      }
      jobs.put(jobId, progress);
      if (first) {
        recount(jobId, progress);
      }
    } else if (event.getScore() != null) {
      double logit = event.getScore().getRobustGtLogit();
      progress.setScoredMin(
          progress.getScoredMin() == null ? logit : Math.min(progress.getScoredMin(), logit));
      progress.setScoredMax(
          progress.getScoredMax() == null ? logit : Math.max(progress.getScoredMax(), logit));
      update(
          jobId,
          progress,
          event.getScore().getRowIndex(),
          row -> applyScore(row, event.getScore()));
    } else if (event.getUpload() != null) {
      update(
          jobId,
          progress,
          event.getUpload().getRowIndex(),
          row -> applyUpload(row, event.getUpload()));
    } else if (event.getOutcome() != null) {
      countOutcome(jobId, progress, event.getOutcome());
      return;
    } else if (event.getDeadLetter() != null) {
      DeadLetter dead = event.getDeadLetter();
      if (dead.getRowIndex() == null) {
        log.warn(
            "Dead letter of job {} names no row, so it does not count towards the job: {}",
            jobId,
            dead.getReason());
        return;
      }
      update(
          jobId,
          progress,
          dead.getRowIndex(),
          row -> {
            if (row.getFailure() == null) {
              row.setFailure(dead.getStage() + ": " + dead.getReason());
            }
          });
    }
    maybeEmit(jobId);
  }

  /**
   * Adds a participant's answer to its image's tally in its condition and to the dataset's tally of
   * its block and condition, once per outcome id. The job's dirmaps get the new human columns on
   * the next punctuation (at most every watch interval), not on every answer.
   */
  private void countOutcome(String jobId, JobProgress progress, Outcome outcome) {
    if (outcomeIds.get(outcome.getOutcomeId()) != null) {
      return; // posted again: counted already
    }
    String key = RecordKeys.row(jobId, outcome.getRowIndex());
    RowState row = rows.get(key);
    if (progress.getJob() == null || row == null) {
      log.warn(
          "Outcome {} names job {} row {}, which this aggregator does not hold; not counted",
          outcome.getOutcomeId(),
          jobId,
          outcome.getRowIndex());
      return;
    }
    outcomeIds.put(outcome.getOutcomeId(), outcome.getReceivedAt().toEpochMilli());
    Map<String, HumanTally> human = new HashMap<>(row.getHuman());
    human.put(outcome.getConditionId(), tallied(human.get(outcome.getConditionId()), outcome));
    row.setHuman(human);
    rows.put(key, row);
    String block =
        (outcome.getBlock() == null ? "-" : outcome.getBlock().toString())
            + "|"
            + outcome.getConditionId();
    Map<String, HumanTally> byBlock = new HashMap<>(progress.getHumanByBlock());
    byBlock.put(block, tallied(byBlock.get(block), outcome));
    progress.setHumanByBlock(byBlock);
    progress.setHumanDirty(true);
    jobs.put(jobId, progress);
  }

  private static HumanTally tallied(HumanTally tally, Outcome outcome) {
    HumanTally next =
        tally == null ? HumanTally.newBuilder().build() : HumanTally.newBuilder(tally).build();
    next.setTrials(next.getTrials() + 1);
    next.setCorrect(next.getCorrect() + (outcome.getCorrect() ? 1 : 0));
    if (outcome.getReactionMs() != null) {
      List<Double> times = new ArrayList<>(next.getReactionMs());
      times.add(outcome.getReactionMs());
      next.setReactionMs(times);
    }
    return next;
  }

  private interface RowChange {
    void apply(RowState row);
  }

  private void update(String jobId, JobProgress progress, long rowIndex, RowChange change) {
    String key = RecordKeys.row(jobId, rowIndex);
    RowState row = rows.get(key);
    if (row == null) {
      row = RowState.newBuilder().setJobId(jobId).setRowIndex(rowIndex).build();
    }
    boolean wasDone = row.getComplete() || row.getFailure() != null;
    change.apply(row);
    if (progress.getJob() != null && !wasDone) {
      account(progress, row);
    }
    rows.put(key, row);
    jobs.put(jobId, progress);
    if (!wasDone && row.getComplete()) {
      announce(progress, row);
    }
  }

  /** Sends a row that just completed to the live feed, with its difficulty as of now. */
  private void announce(JobProgress progress, RowState row) {
    Job job = progress.getJob();
    DirmapTable.LogitRange range = liveRange(progress);
    context.forward(
        new Record<>(
            RecordKeys.row(job.getJobId(), row.getRowIndex()),
            ScoredImage.newBuilder()
                .setJobId(job.getJobId())
                .setDataset(job.getDataset())
                .setRowIndex(row.getRowIndex())
                .setColumns(job.getColumns())
                .setValues(row.getValues())
                .setImPath(row.getImPath())
                .setLabel(row.getLabel())
                .setRobustGtLogit(row.getRobustGtLogit())
                .setDifficulty(range == null ? null : range.difficulty(row.getRobustGtLogit()))
                .setUrls(row.getUrls())
                .setIncoming(job.getOpenEnded())
                .setReferenceJobId(job.getReferenceJobId())
                .setScoredAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
                .build(),
            context.currentSystemTimeMs()));
  }

  /**
   * The logit range a completed row's difficulty is given against right now: a watch job's
   * reference job's (final once that job is complete), else the job's own — final once its dirmaps
   * are written, the rows scored so far before that.
   */
  private DirmapTable.LogitRange liveRange(JobProgress progress) {
    JobProgress scoredBy = progress;
    String reference = progress.getJob().getReferenceJobId();
    if (progress.getJob().getOpenEnded() && reference != null && jobs.get(reference) != null) {
      scoredBy = jobs.get(reference);
    }
    if (scoredBy.getLogitMin() != null) {
      return new DirmapTable.LogitRange(scoredBy.getLogitMin(), scoredBy.getLogitMax());
    }
    return scoredBy.getScoredMin() == null
        ? null
        : new DirmapTable.LogitRange(scoredBy.getScoredMin(), scoredBy.getScoredMax());
  }

  /** Marks a row complete if it now has everything its job asks for, and counts it once. */
  private static void account(JobProgress progress, RowState row) {
    if (row.getFailure() != null) {
      progress.setFailed(progress.getFailed() + 1);
      progress.setDirty(true);
    } else if (isComplete(progress.getJob(), row)) {
      row.setComplete(true);
      progress.setCompleted(progress.getCompleted() + 1);
      progress.setDirty(true);
    }
  }

  static boolean isComplete(Job job, RowState row) {
    if (row.getRobustGtLogit() == null
        || row.getLabel() == null
        || !row.getUrls().containsKey(Conditions.NATURAL)) {
      return false;
    }
    for (Condition condition : job.getConditions()) {
      if (Conditions.appliesTo(condition, row.getLabel())
          && !row.getUrls().containsKey(condition.getId())) {
        return false;
      }
    }
    return true;
  }

  /** The job description arrived after some of its rows: count those now. */
  private void recount(String jobId, JobProgress progress) {
    List<KeyValue<String, RowState>> changed = new ArrayList<>();
    try (KeyValueIterator<String, RowState> it =
        rows.range(RecordKeys.firstRow(jobId), RecordKeys.lastRow(jobId))) {
      while (it.hasNext()) {
        KeyValue<String, RowState> entry = it.next();
        RowState row = entry.value;
        if (!row.getComplete()) {
          account(progress, row);
          changed.add(entry);
        }
        if (row.getRobustGtLogit() != null) {
          double logit = row.getRobustGtLogit();
          progress.setScoredMin(
              progress.getScoredMin() == null ? logit : Math.min(progress.getScoredMin(), logit));
          progress.setScoredMax(
              progress.getScoredMax() == null ? logit : Math.max(progress.getScoredMax(), logit));
        }
      }
    }
    changed.forEach(e -> rows.put(e.key, e.value));
    jobs.put(jobId, progress);
    changed.stream().filter(e -> e.value.getComplete()).forEach(e -> announce(progress, e.value));
  }

  private static void applyScore(RowState row, Score score) {
    row.setValues(score.getValues());
    row.setImPath(score.getImPath());
    row.setLabel(score.getLabel());
    row.setRobustGtLogit(score.getRobustGtLogit());
    row.setRobustEntropy(score.getRobustEntropy());
    row.setRobustCrossEntropy(score.getRobustCrossEntropy());
    row.setPredictedClass(score.getPredictedClass());
  }

  private static void applyUpload(RowState row, UploadResult upload) {
    Map<String, String> urls = new HashMap<>(row.getUrls());
    urls.put(upload.getConditionId(), upload.getUrl());
    row.setUrls(urls);
    Map<String, String> paths = new HashMap<>(row.getPaths());
    paths.put(upload.getConditionId(), upload.getImPath());
    row.setPaths(paths);
  }

  /**
   * The first watch job of a reference job and dataset writes {@code _incoming_dirmap}; any later
   * one its own {@code _incoming_<suffix>_dirmap}. Decided once, when the job arrives, and kept in
   * its progress, so names never change. All of a reference job's watch jobs are on this task.
   */
  private String incomingSuffix(String jobId, Job job) {
    String group = RecordKeys.jobGroup(jobId);
    try (KeyValueIterator<String, JobProgress> it = jobs.range(group + "~", group + "~\uffff")) {
      while (it.hasNext()) {
        KeyValue<String, JobProgress> other = it.next();
        Job otherJob = other.value.getJob();
        if (!other.key.equals(jobId)
            && otherJob != null
            && otherJob.getOpenEnded()
            && otherJob.getDataset().equals(job.getDataset())
            && other.value.getIncomingSuffix() == null) {
          String suffix = jobId.substring(jobId.indexOf('~') + 1).replaceFirst("^watch-", "");
          log.info(
              "Watch job {} writes {}: another watch job of {} has the plain incoming dirmap",
              jobId,
              DirmapSink.fileStem(job, Conditions.NATURAL, suffix),
              group);
          return suffix;
        }
      }
    }
    return null;
  }

  private void maybeEmit(String jobId) {
    JobProgress progress = jobs.get(jobId);
    if (progress == null
        || progress.getJob() == null
        || progress.getEmitted()
        || progress.getJob().getOpenEnded()) {
      return;
    }
    if (progress.getCompleted() + progress.getFailed() >= progress.getJob().getRowCount()) {
      List<RowState> jobRows = rowsOf(jobId);
      DirmapTable.LogitRange range = DirmapTable.LogitRange.of(jobRows);
      if (!emit(progress, jobRows, range, true)) {
        return;
      }
      progress.setEmitted(true);
      progress.setDirty(false);
      progress.setHumanDirty(false);
      if (range != null) {
        progress.setLogitMin(range.min());
        progress.setLogitMax(range.max());
      }
      jobs.put(jobId, progress);
      log.info(
          "Job {} complete: {} rows done, {} failed; dirmaps written",
          jobId,
          progress.getCompleted(),
          progress.getFailed());
    }
  }

  /**
   * Writes the dirmaps that are due: open-ended jobs with new rows, and finished jobs whose dirmaps
   * could not be written when they finished (S3 unreachable). Stops at the first write that fails
   * again, so an outage costs one retry period per punctuation, not one per job.
   */
  private void writeDueDirmaps() {
    List<String> due = new ArrayList<>();
    try (KeyValueIterator<String, JobProgress> it = jobs.all()) {
      while (it.hasNext()) {
        KeyValue<String, JobProgress> entry = it.next();
        Job job = entry.value.getJob();
        boolean answered = entry.value.getHumanDirty();
        if (job != null
            && (job.getOpenEnded()
                ? entry.value.getDirty() || answered
                : !entry.value.getEmitted() || answered)) {
          due.add(entry.key);
        }
      }
    }
    for (String jobId : due) {
      JobProgress progress = jobs.get(jobId);
      if (!progress.getJob().getOpenEnded() && progress.getEmitted()) {
        // Finished, with new answers from participants: the same dirmaps with updated human
        // columns.
        List<RowState> jobRows = rowsOf(jobId);
        DirmapTable.LogitRange range =
            progress.getLogitMin() == null
                ? null
                : new DirmapTable.LogitRange(progress.getLogitMin(), progress.getLogitMax());
        if (!emit(progress, jobRows, range, true)) {
          return;
        }
        progress.setHumanDirty(false);
        jobs.put(jobId, progress);
        continue;
      }
      if (!progress.getJob().getOpenEnded()) {
        maybeEmit(jobId);
        if (!jobs.get(jobId).getEmitted() && accounted(progress)) {
          return;
        }
        continue;
      }
      Job job = progress.getJob();
      JobProgress reference =
          job.getReferenceJobId() == null ? null : jobs.get(job.getReferenceJobId());
      // An incoming dirmap lists only rows with everything an experiment needs: a row still waiting
      // for its uploads would appear with an empty url.
      List<RowState> jobRows = rowsOf(jobId).stream().filter(RowState::getComplete).toList();
      DirmapTable.LogitRange range =
          reference != null && reference.getLogitMin() != null
              ? new DirmapTable.LogitRange(reference.getLogitMin(), reference.getLogitMax())
              : DirmapTable.LogitRange.of(jobRows);
      if (!emit(progress, jobRows, range, false)) {
        return;
      }
      progress.setDirty(false);
      progress.setHumanDirty(false);
      jobs.put(jobId, progress);
    }
  }

  private static boolean accounted(JobProgress progress) {
    return progress.getCompleted() + progress.getFailed() >= progress.getJob().getRowCount();
  }

  private List<RowState> rowsOf(String jobId) {
    List<RowState> list = new ArrayList<>();
    try (KeyValueIterator<String, RowState> it =
        rows.range(RecordKeys.firstRow(jobId), RecordKeys.lastRow(jobId))) {
      it.forEachRemaining(kv -> list.add(kv.value));
    }
    return list;
  }

  /**
   * Writes every condition's dirmap, then announces them all. Every condition gets the same logit
   * range, the job's: difficulty is the image's, so a {@code diverge_from} dirmap that leaves rows
   * out keeps the values the natural dirmap has (SPEC.md). When the files or S3 cannot be written
   * (after the sink's retries), nothing is announced and false is returned: the job's dirmaps stay
   * due and the punctuator writes them again.
   */
  private boolean emit(
      JobProgress progress, List<RowState> jobRows, DirmapTable.LogitRange range, boolean isFinal) {
    Job job = progress.getJob();
    List<String> conditionIds = new ArrayList<>();
    conditionIds.add(Conditions.NATURAL);
    job.getConditions().forEach(c -> conditionIds.add(c.getId()));
    List<DirmapWritten> written = new ArrayList<>();
    for (String conditionId : conditionIds) {
      DirmapTable.Table table = DirmapTable.build(job, conditionId, jobRows, range);
      try {
        written.add(
            sink.write(
                job,
                conditionId,
                progress.getIncomingSuffix(),
                table,
                progress.getFailed(),
                isFinal));
      } catch (RuntimeException error) {
        if (!TransientFailures.isTransient(error)) {
          throw error;
        }
        log.warn(
            "Dirmaps of job {} not written, trying again every {} s: {}",
            job.getJobId(),
            watchInterval.toSeconds(),
            InfrastructureRetry.rootMessage(error));
        return false;
      }
    }
    for (DirmapWritten dirmap : written) {
      context.forward(
          new Record<>(
              RecordKeys.dirmap(job.getJobId(), dirmap.getConditionId()),
              dirmap,
              context.currentSystemTimeMs()));
    }
    return true;
  }
}
