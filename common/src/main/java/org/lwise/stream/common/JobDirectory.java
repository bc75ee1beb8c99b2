package org.lwise.stream.common;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.lwise.stream.schema.Job;

/**
 * Job descriptions by id, read from the jobs topic on demand. Ingest writes a job and its image
 * records in one transaction, so a job is always readable once one of its images is.
 */
public final class JobDirectory {
  private final String bootstrapServers;
  private final Topic<String, Job> jobs;
  private final Map<String, Job> known = new ConcurrentHashMap<>();

  public JobDirectory(String bootstrapServers, Topic<String, Job> jobs) {
    this.bootstrapServers = bootstrapServers;
    this.jobs = jobs;
  }

  /** The job, or null when the jobs topic does not hold it. */
  public synchronized Job get(String jobId) {
    Job job = known.get(jobId);
    if (job == null) {
      known.putAll(TopicReader.latest(bootstrapServers, jobs));
      job = known.get(jobId);
    }
    return job;
  }

  /** For open-ended (watch) jobs the description changes; conditions do not, so the cache stays valid. */
  public void put(Job job) {
    known.put(job.getJobId(), job);
  }
}
