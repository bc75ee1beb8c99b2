package org.lwise.stream.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.lwise.stream.dirmap.DatasetPaths;
import org.lwise.stream.dirmap.Dirmap;
import org.lwise.stream.dirmap.DirmapRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far a watch job got, and which rows wait for their image file. A row may be appended before
 * its image is copied; it then waits — retried on every pass — until the file is there with the
 * same non-zero size on two consecutive passes (so a half-copied file is not read), or until the
 * timeout, when it is dead-lettered. Rows after a waiting one go out meanwhile.
 *
 * <p>What is recorded on Kafka (with the job, in the transaction of the rows) is the
 * <em>watermark</em> — every row before it is published or dead-lettered, and it never passes a
 * waiting row — plus the rows at or after it that went out of order. A restarted watcher continues
 * from both: it neither skips a waiting row nor repeats one already sent.
 */
final class WatchProgress {
  private static final Logger log = LoggerFactory.getLogger(WatchProgress.class);

  private final long missingFileTimeoutMs;
  private final LongSupplier clock;
  private long watermark;
  private final TreeSet<Long> ahead;
  private final Map<Long, Long> waitingSince = new HashMap<>();
  private final Map<Long, Long> lastSeenSize = new HashMap<>();

  /**
   * @param watermark every row before it is handled (or was skipped at the watch job's first start)
   * @param ahead rows at or after the watermark handled out of order
   */
  WatchProgress(
      long watermark, Collection<Long> ahead, long missingFileTimeoutMs, LongSupplier clock) {
    this.watermark = watermark;
    this.ahead = new TreeSet<>(ahead);
    this.ahead.headSet(watermark).clear();
    this.missingFileTimeoutMs = missingFileTimeoutMs;
    this.clock = clock;
  }

  /** A row not published: malformed, output owned by an earlier row, or its image never came. */
  record DeadRow(DirmapRow row, String reason) {}

  /**
   * What one pass sends: rows to publish (whose images are there and stable), rows to dead-letter,
   * and the progress to record with them.
   */
  record Pass(
      List<DirmapRow> publish,
      List<DeadRow> deadLetters,
      List<Dirmap.RowProblem> malformed,
      long watermark,
      List<Long> ahead) {
    boolean isEmpty() {
      return publish.isEmpty() && deadLetters.isEmpty() && malformed.isEmpty();
    }
  }

  long watermark() {
    return watermark;
  }

  /** Rows handled so far: those before the watermark and those handled out of order past it. */
  long handled() {
    return watermark + ahead.size();
  }

  /** Rows whose image file is not there yet, or still changing size. */
  int waiting() {
    return waitingSince.size();
  }

  /**
   * Decides what happens to every row not handled yet. Changes nothing recorded until {@link
   * #handled(Pass)}.
   */
  Pass plan(Dirmap dirmap, OutputClaims outputs, DatasetPaths paths) {
    int imPathColumn = dirmap.column("im_path");
    List<DirmapRow> publish = new ArrayList<>();
    List<DeadRow> dead = new ArrayList<>();
    List<Dirmap.RowProblem> malformed = new ArrayList<>();
    TreeSet<Long> handledNow = new TreeSet<>(ahead);
    for (Dirmap.RowProblem problem : dirmap.problems()) {
      if (problem.index() >= watermark && !ahead.contains(problem.index())) {
        malformed.add(problem);
        handledNow.add(problem.index());
      }
    }
    long now = clock.getAsLong();
    for (DirmapRow row : dirmap.rows()) {
      long index = row.index();
      if (index < watermark || ahead.contains(index)) {
        continue;
      }
      String clash = outputs.clash(row);
      if (clash != null) {
        dead.add(new DeadRow(row, clash)); // at once: waiting for its file would not change it
        forget(index);
        handledNow.add(index);
        continue;
      }
      String imPath = row.values().get(imPathColumn);
      Path file;
      try {
        file = paths.resolve(imPath);
      } catch (DatasetPaths.ImageNotFoundException notYet) {
        String reason = waitOrGiveUp(index, imPath, now, "not there");
        if (reason != null) {
          dead.add(new DeadRow(row, reason));
          handledNow.add(index);
        }
        continue;
      } catch (DatasetPaths.BadPathException bad) {
        publish.add(row); // refused for good: the publisher dead-letters it with the reason
        forget(index);
        handledNow.add(index);
        continue;
      }
      long size = sizeOf(file);
      Long before = lastSeenSize.put(index, size);
      if (before != null && before == size && size > 0) {
        publish.add(row);
        forget(index);
        handledNow.add(index);
      } else {
        String state = size < 0 ? "not there" : size == 0 ? "empty" : "still changing size";
        String reason = waitOrGiveUp(index, imPath, now, state);
        if (reason != null) {
          dead.add(new DeadRow(row, reason));
          handledNow.add(index);
        }
      }
    }
    long next = watermark;
    while (next < dirmap.rowCount() && handledNow.contains(next)) {
      next++;
    }
    return new Pass(publish, dead, malformed, next, List.copyOf(handledNow.tailSet(next)));
  }

  /** The pass's transaction committed: what it sent counts as handled. */
  void handled(Pass pass) {
    watermark = pass.watermark();
    ahead.clear();
    ahead.addAll(pass.ahead());
  }

  /** Keeps a row waiting (null) or, past the timeout, says why it is dead-lettered. */
  private String waitOrGiveUp(long index, String imPath, long now, String state) {
    Long since = waitingSince.putIfAbsent(index, now);
    if (since == null) {
      log.info(
          "Row {} waits for its image file '{}' ({}), up to {} ms ({})",
          index,
          imPath,
          state,
          missingFileTimeoutMs,
          IngestConfig.WATCH_MISSING_FILE_TIMEOUT_MS);
      since = now;
    }
    if (now - since < missingFileTimeoutMs) {
      return null;
    }
    forget(index);
    return "image file '"
        + imPath
        + "' "
        + state
        + " after waiting "
        + (now - since)
        + " ms ("
        + IngestConfig.WATCH_MISSING_FILE_TIMEOUT_MS
        + "="
        + missingFileTimeoutMs
        + ")";
  }

  private void forget(long index) {
    waitingSince.remove(index);
    lastSeenSize.remove(index);
  }

  /** The file's size, or -1 when it went away since it was resolved. */
  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (NoSuchFileException gone) {
      return -1;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the size of " + file, e);
    }
  }
}
