package org.lwise.stream.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.lwise.stream.common.AtomicFiles;
import org.lwise.stream.common.Digests;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code lwise run} on the embedded default remembers of a job it finished, in {@code
 * <out>/.embedded/finished/<job id>.json} beside the broker's data: the summary it printed and the
 * SHA-256 of every dirmap it wrote. Re-running the same job prints that summary without starting a
 * server (starting the broker, the registry and S3Proxy takes 8–9 s on 2 cores, the answer under
 * one) — but only while every dirmap is still there unchanged; otherwise the servers start and
 * Kafka, the source of truth, answers as before.
 *
 * @param summary the run's summary as {@link RunSummary#asFinishedEarlier()} wrote it
 * @param dirmaps dirmap path (absolute) to its SHA-256
 */
record FinishedJobRecord(
    String jobId, long completed, long failed, String summary, Map<String, String> dirmaps) {
  private static final Logger LOG = LoggerFactory.getLogger(FinishedJobRecord.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  static Path file(Path outFolder, String jobId) {
    return outFolder.resolve(".embedded").resolve("finished").resolve(jobId + ".json");
  }

  /** Records a finished job; a failure to write costs only the next re-run's speed. */
  static void save(Path outFolder, String jobId, long completed, long failed, RunSummary summary) {
    try {
      Map<String, String> dirmaps = new LinkedHashMap<>();
      for (Path dirmap : summary.dirmapFiles()) {
        Path absolute = dirmap.toAbsolutePath().normalize();
        dirmaps.put(absolute.toString(), Digests.sha256(Files.readAllBytes(absolute)));
      }
      FinishedJobRecord record =
          new FinishedJobRecord(jobId, completed, failed, summary.asFinishedEarlier(), dirmaps);
      AtomicFiles.write(file(outFolder, jobId), JSON.writeValueAsBytes(record));
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not record job {} as finished (a re-run will ask Kafka instead)", jobId, e);
    }
  }

  /**
   * The record of {@code jobId}, if there is one and every dirmap it lists is unchanged; a missing
   * or changed dirmap (or an unreadable record) means "ask Kafka".
   */
  static Optional<FinishedJobRecord> load(Path outFolder, String jobId) {
    Path file = file(outFolder, jobId);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      FinishedJobRecord record = JSON.readValue(file.toFile(), FinishedJobRecord.class);
      if (!jobId.equals(record.jobId()) || record.dirmaps().isEmpty()) {
        return Optional.empty();
      }
      for (Map.Entry<String, String> dirmap : record.dirmaps().entrySet()) {
        Path path = Path.of(dirmap.getKey());
        if (!Files.isRegularFile(path)
            || !Digests.sha256(Files.readAllBytes(path)).equals(dirmap.getValue())) {
          LOG.info("{} changed since job {} finished: asking Kafka", path, jobId);
          return Optional.empty();
        }
      }
      return Optional.of(record);
    } catch (IOException e) {
      LOG.warn("unreadable record {} (asking Kafka instead)", file, e);
      return Optional.empty();
    }
  }
}
