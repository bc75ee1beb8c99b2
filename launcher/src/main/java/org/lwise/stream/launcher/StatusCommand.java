package org.lwise.stream.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.ConnectionConfig;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.Job;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lwise status JOB_ID}: where a submitted job stands, read from the topics (any process can
 * ask, whichever aggregator holds the job). Exit code 0: finished; 2: finished with failed rows; 3:
 * still running.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Where a submitted job stands: rows scored or failed, dirmaps written (exit 0 done, 2 done with"
            + " failed rows, 3 running).")
public final class StatusCommand implements Callable<Integer> {
  static final int RUNNING = 3;

  @Option(
      names = "--config",
      required = true,
      description = "properties file with at least bootstrap.servers and registry.url")
  Path config;

  @Parameters(paramLabel = "JOB_ID", description = "as printed by submit or run")
  String jobId;

  /** What the topics say about the job at one moment. */
  private record Snapshot(
      Job job, long accounted, long failed, Map<String, DirmapWritten> written) {}

  @Override
  public Integer call() {
    ConnectionConfig connection = ConnectionConfig.from(StageSettings.load(config));
    PipelineTopics topics = PipelineTopics.create(new RegistrySerdes(connection.registryUrl()));
    // One read of everything, repeated as a whole while the broker or registry is away.
    Snapshot snapshot =
        new InfrastructureOutage(connection).retrying(() -> read(connection, topics));
    Job job = snapshot.job();
    Map<String, DirmapWritten> written = snapshot.written();
    List<String> conditions = new ArrayList<>(List.of(Conditions.NATURAL));
    job.getConditions().forEach(c -> conditions.add(c.getId()));
    System.out.printf(
        "Job %s (%s, model %s): %d rows, %d scored or failed (%d failed); dirmaps written: %d of %d%n",
        jobId,
        job.getDataset(),
        job.getModelId(),
        job.getRowCount(),
        snapshot.accounted(),
        snapshot.failed(),
        conditions.stream().filter(written::containsKey).count(),
        conditions.size());
    for (String condition : conditions) {
      DirmapWritten d = written.get(condition);
      System.out.printf("  %-28s %s%n", condition, d == null ? "not yet" : d.getCsvPath());
    }
    if (!written.keySet().containsAll(conditions)) {
      return RUNNING;
    }
    return written.get(Conditions.NATURAL).getFailed() > 0 ? 2 : 0;
  }

  private Snapshot read(ConnectionConfig connection, PipelineTopics topics) {
    Job job = TopicReader.latest(connection.bootstrapServers(), topics.jobs()).get(jobId);
    if (job == null) {
      throw new IllegalArgumentException("no job " + jobId + " on " + topics.jobs().name());
    }
    try (JobRowTally tally = new JobRowTally(connection.bootstrapServers(), topics, jobId)) {
      tally.catchUp();
      Map<String, DirmapWritten> written =
          new WrittenDirmaps(connection.bootstrapServers(), topics.dirmaps()).of(jobId);
      return new Snapshot(job, tally.accounted(), tally.failed(), written);
    }
  }
}
