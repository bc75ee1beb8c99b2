package org.lwise.stream.common;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.lwise.stream.schema.Job;

/**
 * Job descriptions by id, read from the jobs topic on demand.
 *
 * <p>Ingest writes a job and its image records in one transaction, but the transaction
 * coordinator writes the commit marker to each partition separately: an image record can be
 * readable (read_committed) a moment before its job is. A lookup that misses therefore re-reads
 * the jobs topic for up to {@code markerWait} before it reports the job missing.
 *
 * <p>A job, once read, stays cached: an open-ended (watch) job's description grows, but the
 * conditions and labels the stages read from it do not change.
 */
public final class JobDirectory {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(JobDirectory.class);
  private static final Duration DEFAULT_MARKER_WAIT = Duration.ofSeconds(30);

  private final String bootstrapServers;
  private final Topic<String, Job> jobs;
  private final Duration markerWait;
  private final Map<String, Job> known = new ConcurrentHashMap<>();

  public JobDirectory(String bootstrapServers, Topic<String, Job> jobs) {
    this(bootstrapServers, jobs, DEFAULT_MARKER_WAIT);
  }

  public JobDirectory(String bootstrapServers, Topic<String, Job> jobs, Duration markerWait) {
    this.bootstrapServers = bootstrapServers;
    this.jobs = jobs;
    this.markerWait = markerWait;
  }

  /** The job, or null when the jobs topic still does not hold it after {@code markerWait}. */
  public Job get(String jobId) {
    Job job = known.get(jobId);
    return job != null ? job : read(jobId);
  }

  /** One reader at a time; a lookup that waits does not hold up lookups of jobs already known. */
  private synchronized Job read(String jobId) {
    Job job = known.get(jobId);
    long deadline = System.nanoTime() + markerWait.toNanos();
    long pauseMillis = 50;
    int reads = 0;
    while (job == null) {
      known.putAll(TopicReader.latest(bootstrapServers, jobs));
      reads++;
      job = known.get(jobId);
      if (job != null || System.nanoTime() - deadline >= 0) {
        break;
      }
      sleep(pauseMillis);
      pauseMillis = Math.min(pauseMillis * 2, 1000);
    }
    if (job != null && reads > 1) {
      log.info("Job {} became readable on {} after {} reads (commit marker was still on its way)",
          jobId, jobs.name(), reads);
    }
    return job;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a job on the jobs topic", e);
    }
  }
}
