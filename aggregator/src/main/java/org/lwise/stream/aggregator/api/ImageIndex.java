package org.lwise.stream.aggregator.api;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.lwise.stream.aggregator.api.DatasetCatalog.DatasetJobs;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.RowState;

/**
 * Which image and condition an experiment showed, from what its trial data says: the stimulus URL
 * (the experiments identify images by URL), or the job (or dataset) and row plus a condition. Built
 * from this instance's state and rebuilt when older than a second or asked for something it does
 * not know (a new image).
 */
final class ImageIndex {
  /** An image shown in a condition. */
  record Hit(String dataset, String jobId, long rowIndex, String condition) {}

  private static final long MAX_AGE_NANOS = 1_000_000_000L;

  private final LocalStores stores;
  private Map<String, Hit> byKey = Map.of();
  private long builtAt;

  ImageIndex(LocalStores stores) {
    this.stores = stores;
  }

  static String urlKey(String url) {
    return "url\t" + url;
  }

  static String rowKey(String jobId, long row, String condition) {
    return "row\t" + jobId + "\t" + row + "\t" + condition;
  }

  static String datasetRowKey(String dataset, long row, String condition) {
    return "dsrow\t" + dataset + "\t" + row + "\t" + condition;
  }

  /** What this instance knows of these keys (the others are absent from the answer). */
  synchronized Map<String, Hit> resolve(Collection<String> keys) {
    if (System.nanoTime() - builtAt > MAX_AGE_NANOS || !byKey.keySet().containsAll(keys)) {
      rebuild();
    }
    Map<String, Hit> hits = new HashMap<>();
    keys.forEach(
        key -> {
          Hit hit = byKey.get(key);
          if (hit != null) {
            hits.put(key, hit);
          }
        });
    return hits;
  }

  private void rebuild() {
    Map<String, Hit> keys = new HashMap<>();
    for (DatasetJobs dataset : DatasetCatalog.datasets(stores.jobs()).values()) {
      add(keys, dataset.dataset(), dataset.reference(), true);
      dataset.watchJobs().forEach(watch -> add(keys, dataset.dataset(), watch, false));
    }
    byKey = keys;
    builtAt = System.nanoTime();
  }

  private void add(Map<String, Hit> keys, String dataset, JobProgress progress, boolean reference) {
    String jobId = progress.getJob().getJobId();
    for (RowState row : stores.rows(jobId)) {
      if (!row.getComplete()) {
        continue;
      }
      Set<String> conditions = row.getUrls().keySet();
      for (String condition : conditions) {
        Hit hit = new Hit(dataset, jobId, row.getRowIndex(), condition);
        keys.put(urlKey(row.getUrls().get(condition)), hit);
        keys.put(rowKey(jobId, row.getRowIndex(), condition), hit);
        if (reference) {
          keys.put(datasetRowKey(dataset, row.getRowIndex(), condition), hit);
        }
      }
    }
  }
}
