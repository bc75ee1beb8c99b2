package org.lwise.stream.aggregator.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.lwise.stream.aggregator.DirmapJson;
import org.lwise.stream.aggregator.DirmapTable;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.schema.HumanTally;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.RowState;

/**
 * What the API calls a dataset: its reference job — the newest finished (else the newest running)
 * job that names it — and the watch jobs whose new images are scored against that job, read from
 * the aggregator's job and row state. Images are the rows whose score and uploads are all done.
 */
final class DatasetCatalog {
  private DatasetCatalog() {}

  /** A dataset's jobs: the reference job and its watch (open-ended) jobs. */
  record DatasetJobs(String dataset, JobProgress reference, List<JobProgress> watchJobs) {}

  /** One image as the API shows it, with what selection needs at hand. */
  record Image(
      String jobId,
      long rowIndex,
      boolean incoming,
      String className,
      int label,
      String split,
      String imPath,
      Double difficulty,
      Map<String, String> urls,
      ObjectNode json,
      double logit,
      Map<String, HumanTally> human) {

    /** The same image ranked by another difficulty (the curriculum's human or blended order). */
    Image rankedBy(double otherDifficulty) {
      return new Image(
          jobId,
          rowIndex,
          incoming,
          className,
          label,
          split,
          imPath,
          otherDifficulty,
          urls,
          json,
          logit,
          human);
    }
  }

  /** What choosing a dataset's reference job needs to know of a job, wherever it is held. */
  record JobKey(
      String jobId, String dataset, boolean openEnded, boolean complete, Instant createdAt) {
    static JobKey of(JobProgress progress) {
      Job job = progress.getJob();
      return new JobKey(
          job.getJobId(),
          job.getDataset(),
          job.getOpenEnded(),
          progress.getEmitted(),
          job.getCreatedAt());
    }
  }

  /** Datasets named by these jobs (all held here), by name. */
  static Map<String, DatasetJobs> datasets(List<JobProgress> jobs) {
    Map<String, JobProgress> byId = new TreeMap<>();
    jobs.forEach(p -> byId.put(p.getJob().getJobId(), p));
    Map<String, DatasetJobs> datasets = new TreeMap<>();
    references(jobs.stream().map(JobKey::of).toList())
        .forEach(
            (dataset, referenceId) -> {
              List<JobProgress> watch =
                  jobs.stream()
                      .filter(
                          p ->
                              p.getJob().getOpenEnded()
                                  && RecordKeys.jobGroup(p.getJob().getJobId()).equals(referenceId))
                      .sorted(Comparator.comparing(p -> p.getJob().getJobId()))
                      .toList();
              datasets.put(dataset, new DatasetJobs(dataset, byId.get(referenceId), watch));
            });
    return datasets;
  }

  /**
   * Each dataset's reference job: its newest finished job, else its newest running one (watch jobs
   * never are). Dataset name to job id.
   */
  static Map<String, String> references(List<JobKey> jobs) {
    Comparator<JobKey> newest =
        Comparator.comparing(JobKey::createdAt).thenComparing(JobKey::jobId);
    Comparator<JobKey> preferred = Comparator.comparing(JobKey::complete).thenComparing(newest);
    Map<String, JobKey> chosen = new TreeMap<>();
    for (JobKey job : jobs) {
      if (!job.openEnded()) {
        chosen.merge(job.dataset(), job, (a, b) -> preferred.compare(a, b) >= 0 ? a : b);
      }
    }
    Map<String, String> references = new TreeMap<>();
    chosen.forEach((dataset, job) -> references.put(dataset, job.jobId()));
    return references;
  }

  /** The logit range a job's difficulty is computed against: final once its dirmaps are written. */
  static DirmapTable.LogitRange range(JobProgress progress, List<RowState> rows) {
    if (progress.getLogitMin() != null) {
      return new DirmapTable.LogitRange(progress.getLogitMin(), progress.getLogitMax());
    }
    return DirmapTable.LogitRange.of(rows);
  }

  /**
   * The images of one job: each row with every column of its natural dirmap, typed as the dirmap's
   * JSON is, plus {@code job_id}, {@code row_index}, {@code incoming} and {@code urls}.
   *
   * @param range what difficulty is computed against (a watch job: its reference job's)
   */
  static List<Image> images(
      JobProgress progress, List<RowState> rows, DirmapTable.LogitRange range) {
    Job job = progress.getJob();
    List<RowState> complete = rows.stream().filter(RowState::getComplete).toList();
    DirmapTable.Table table = DirmapTable.build(job, Conditions.NATURAL, complete, range);
    ArrayNode records = DirmapJson.recordNodes(table);
    int classColumn = job.getColumns().indexOf("class");
    int splitColumn = job.getColumns().indexOf("split");
    List<Image> images = new ArrayList<>(complete.size());
    for (int i = 0; i < complete.size(); i++) {
      RowState row = complete.get(i);
      ObjectNode json = (ObjectNode) records.get(i);
      Double difficulty = range == null ? null : range.difficulty(row.getRobustGtLogit());
      // This run's values at these keys, whatever the input's columns were (keep_input_columns).
      json.put("robust_gt_logit", row.getRobustGtLogit());
      if (difficulty == null) {
        json.putNull("difficulty");
      } else {
        json.put("difficulty", difficulty);
      }
      json.put("url", row.getUrls().get(Conditions.NATURAL));
      json.put("job_id", job.getJobId());
      json.put("row_index", row.getRowIndex());
      json.put("incoming", job.getOpenEnded());
      ObjectNode urls = json.putObject("urls");
      new TreeMap<>(row.getUrls()).forEach(urls::put);
      json.set("human", HumanStats.json(row.getHuman()));
      String className =
          classColumn >= 0 && row.getValues().get(classColumn) != null
              ? row.getValues().get(classColumn)
              : String.valueOf(row.getLabel());
      String split = splitColumn >= 0 ? row.getValues().get(splitColumn) : null;
      images.add(
          new Image(
              job.getJobId(),
              row.getRowIndex(),
              job.getOpenEnded(),
              className,
              row.getLabel(),
              split,
              row.getImPath(),
              difficulty,
              row.getUrls(),
              json,
              row.getRobustGtLogit(),
              row.getHuman()));
    }
    return images;
  }

  /** Class names of these images in label order (then by name), each once. */
  static List<String> classes(List<Image> images) {
    Map<String, Integer> labels = new TreeMap<>();
    images.forEach(image -> labels.merge(image.className(), image.label(), Math::min));
    return labels.entrySet().stream()
        .sorted(
            Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
        .map(Map.Entry::getKey)
        .toList();
  }
}
