package org.lwise.stream.launcher.report;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.Job;

/**
 * Everything a job report is built from: the job as submitted, its written dirmaps, its failures,
 * and what only the caller knows.
 *
 * @param dirmaps condition id ({@code natural} first) → the CSV of its final dirmap
 * @param seconds wall time of the run that did the job; null when not known
 * @param finishedAt when the dirmaps were written; null when not known
 * @param modelCard the model's card, to score the enhanced images (gt-logit after); null to skip
 */
public record ReportInput(
    Job job,
    Map<String, Path> dirmaps,
    List<DeadLetter> failures,
    Double seconds,
    Instant finishedAt,
    Path modelCard) {
  public ReportInput {
    dirmaps = Map.copyOf(dirmaps);
    failures = List.copyOf(failures);
  }

  /** {@code <out>/<dataset>_report.html}: next to the condition folders the dirmaps are in. */
  public Path defaultReportFile() {
    Path natural = dirmaps.get("natural");
    if (natural == null) {
      throw new IllegalStateException("job " + job.getJobId() + " has no natural dirmap yet");
    }
    return natural
        .toAbsolutePath()
        .getParent()
        .getParent()
        .resolve(job.getDataset() + "_report.html");
  }
}
