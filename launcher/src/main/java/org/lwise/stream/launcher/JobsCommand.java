package org.lwise.stream.launcher;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.common.serialization.Serdes;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.ConnectionConfig;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.Topic;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.Job;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lwise jobs}: every job on the topics with its state and row counts, read like {@code
 * status} does (any process can ask, whichever aggregator holds the jobs).
 */
@Command(
    name = "jobs",
    mixinStandardHelpOptions = true,
    description =
        "List the submitted jobs: id, dataset, model, state, rows done and failed, started, finished.",
    footer = {"%nExample:", "  lwise jobs --config lwise-out/.embedded/connection.properties"})
public final class JobsCommand implements Callable<Integer> {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

  @Option(
      names = "--config",
      required = true,
      description = "properties file with at least bootstrap.servers and registry.url")
  Path config;

  /** One line of the list. */
  record JobLine(
      String jobId,
      String dataset,
      String model,
      String state,
      long done,
      long failed,
      Instant started,
      Instant finished) {}

  @Override
  public Integer call() {
    ConnectionConfig connection = ConnectionConfig.from(StageSettings.load(config));
    PipelineTopics topics = PipelineTopics.create(new RegistrySerdes(connection.registryUrl()));
    List<JobLine> jobs =
        new InfrastructureOutage(connection)
            .retrying(() -> read(connection.bootstrapServers(), topics));
    print(jobs, System.out);
    return 0;
  }

  static void print(List<JobLine> jobs, PrintStream out) {
    if (jobs.isEmpty()) {
      out.println("No jobs on the topics yet.");
      return;
    }
    String format = "%-34s %-16s %-24s %-9s %8s %7s  %-19s  %-19s";
    out.println(
        String.format(
                format, "JOB", "DATASET", "MODEL", "STATE", "DONE", "FAILED", "STARTED", "FINISHED")
            .stripTrailing());
    for (JobLine job : jobs) {
      out.println(
          String.format(
                  format,
                  job.jobId(),
                  job.dataset(),
                  job.model(),
                  job.state(),
                  job.done(),
                  job.failed(),
                  job.started() == null ? "-" : TIME.format(job.started()),
                  job.finished() == null ? "-" : TIME.format(job.finished()))
              .stripTrailing());
    }
  }

  private static List<JobLine> read(String bootstrapServers, PipelineTopics topics) {
    Map<String, Job> jobs = TopicReader.latest(bootstrapServers, topics.jobs());
    Map<String, DirmapWritten> finished = new HashMap<>();
    Map<String, Instant> finishedAt = new HashMap<>();
    TopicReader.readAll(
        bootstrapServers,
        topics.dirmaps(),
        (String key, DirmapWritten written, long timestamp) -> {
          if (written != null
              && written.getComplete()
              && Conditions.NATURAL.equals(written.getConditionId())) {
            finished.put(written.getJobId(), written);
            finishedAt.put(written.getJobId(), Instant.ofEpochMilli(timestamp));
          }
        });
    Map<String, Set<Long>> accounted = new HashMap<>();
    Map<String, Set<Long>> failed = new HashMap<>();
    if (!finished.keySet().containsAll(jobs.keySet())) {
      // Rows of running jobs: the keys of their scores are enough (values stay unread).
      Topic<byte[], byte[]> scoreKeys =
          new Topic<>(topics.scores().name(), Serdes.ByteArray(), Serdes.ByteArray());
      TopicReader.readAll(
          bootstrapServers, scoreKeys, (byte[] key, byte[] value) -> count(key, accounted));
      TopicReader.readAll(
          bootstrapServers,
          topics.deadLetters(),
          (key, dead) -> {
            if (dead != null && dead.getJobId() != null && dead.getRowIndex() != null) {
              failed
                  .computeIfAbsent(dead.getJobId(), id -> new HashSet<>())
                  .add(dead.getRowIndex());
              accounted
                  .computeIfAbsent(dead.getJobId(), id -> new HashSet<>())
                  .add(dead.getRowIndex());
            }
          });
    }
    List<JobLine> lines = new ArrayList<>();
    for (Job job : jobs.values()) {
      String id = job.getJobId();
      DirmapWritten natural = finished.get(id);
      long failedRows =
          natural != null ? natural.getFailed() : failed.getOrDefault(id, Set.of()).size();
      long doneRows =
          natural != null
              ? natural.getRows()
              : accounted.getOrDefault(id, Set.of()).size() - failedRows;
      String state = natural != null ? "finished" : job.getOpenEnded() ? "watching" : "running";
      lines.add(
          new JobLine(
              id,
              job.getDataset(),
              job.getModelId(),
              state,
              doneRows,
              failedRows,
              job.getCreatedAt(),
              natural == null ? null : finishedAt.get(id)));
    }
    lines.sort(
        Comparator.comparing(JobLine::started, Comparator.nullsFirst(Comparator.naturalOrder())));
    return lines;
  }

  private static void count(byte[] key, Map<String, Set<Long>> accounted) {
    RecordKeys.Attribution row = RecordKeys.parse(key);
    if (row != null && row.rowIndex() != null) {
      accounted.computeIfAbsent(row.jobId(), id -> new HashSet<>()).add(row.rowIndex());
    }
  }
}
