package org.lwise.stream.common.stage;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The console lines of a running stage, from its {@link StageActivity}: one when a job first shows
 * up, one when it finishes (or, for stages that cannot know, goes quiet), and a throughput line at
 * most every {@code throughputEvery} while the stage is busy.
 */
final class ConsoleActivity {
  private final String stage;
  private final String unit;
  private final PrintStream console;
  private final Duration throughputEvery;
  private final Duration quietAfter;
  private final LongSupplier clock;
  private final Map<String, Seen> seen = new HashMap<>();
  private long windowStart;
  private long windowStartTotal;

  private static final class Seen {
    long total;
    long changedAt;
    boolean quiet;
    boolean finished;
  }

  ConsoleActivity(
      String stage,
      String unit,
      PrintStream console,
      Duration throughputEvery,
      Duration quietAfter,
      LongSupplier clock) {
    this.stage = stage;
    this.unit = unit;
    this.console = console;
    this.throughputEvery = throughputEvery;
    this.quietAfter = quietAfter;
    this.clock = clock;
    this.windowStart = clock.getAsLong();
  }

  /** Prints what changed since the last call. */
  void report(StageActivity activity) {
    long now = clock.getAsLong();
    long total = 0;
    for (Map.Entry<String, StageActivity.JobCounts> entry : activity.jobs().entrySet()) {
      String job = entry.getKey();
      StageActivity.JobCounts counts = entry.getValue();
      total += counts.total();
      Seen before = seen.get(job);
      if (before == null) {
        before = new Seen();
        before.changedAt = now;
        seen.put(job, before);
        console.printf("%s: job %s started%n", stage, job);
      }
      if (counts.total() != before.total) {
        before.total = counts.total();
        before.changedAt = now;
        before.quiet = false;
      }
      if (counts.finished() && !before.finished) {
        before.finished = true;
        console.printf(
            "%s: job %s finished: %d %s done, %d failed%n",
            stage, job, counts.done(), unit, counts.failed());
      } else if (!counts.finished()
          && !before.quiet
          && before.total > 0
          && now - before.changedAt >= quietAfter.toNanos()) {
        // Workers and uploaders never learn a job's end; a job that goes quiet is as near as they
        // get.
        before.quiet = true;
        console.printf(
            "%s: job %s quiet for %d s: %d %s done, %d failed so far%n",
            stage, job, quietAfter.toSeconds(), counts.done(), unit, counts.failed());
      }
    }
    if (now - windowStart >= throughputEvery.toNanos()) {
      long inWindow = total - windowStartTotal;
      if (inWindow > 0) {
        double seconds = (now - windowStart) / 1e9;
        console.printf(
            "%s: %d %s in the last %.0f s (%.1f/s), %d since start%n",
            stage, inWindow, unit, seconds, inWindow / seconds, total);
      }
      windowStart = now;
      windowStartTotal = total;
    }
  }
}
