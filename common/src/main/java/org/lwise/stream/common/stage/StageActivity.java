package org.lwise.stream.common.stage;

import java.util.Map;

/**
 * What a stage has done so far, for its console lines: images (or rows) per job, and job states it
 * knows of. Read from the runner's thread while the stage works, so implementations are thread-safe
 * snapshots.
 */
public interface StageActivity {
  StageActivity NONE = () -> Map.of();

  /** Per job: items done and failed so far, and whether the stage knows the job is finished. */
  Map<String, JobCounts> jobs();

  /** Counts of one job as one stage sees them. */
  record JobCounts(long done, long failed, boolean finished) {
    public long total() {
      return done + failed;
    }
  }
}
