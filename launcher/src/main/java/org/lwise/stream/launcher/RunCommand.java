package org.lwise.stream.launcher;

import ai.djl.engine.Engine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.ConnectionConfig;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RegistrySerdes;
import org.lwise.stream.common.TopicSetup;
import org.lwise.stream.ingest.DirmapWatcher;
import org.lwise.stream.ingest.IngestApp;
import org.lwise.stream.ingest.IngestConfig;
import org.lwise.stream.ingest.IngestPipeline;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.method.InferenceDevice;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.JobProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lwise run}: scores and enhances one dirmap end to end. Without a {@code bootstrap.servers}
 * setting it starts the embedded default (Kafka, registry, S3Proxy) under the output folder.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description =
        "Score and enhance a dirmap end to end (embedded Kafka, registry and S3 unless configured otherwise).",
    footer = {
      "%nExamples:",
      "  lwise run --dirmap demo/fashion-mnist/dirmap.csv --model demo/models/fashion-cnn-robust --eps 1,2",
      "  lwise run --dirmap data/dirmap.csv --model models/robust --config my-cluster.properties --out results"
    })
public final class RunCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);
  private static final String AGGREGATOR_OUTPUT_DIR = "aggregator.output.dir";
  private static final String UPLOADER_LOCAL_DIR = "uploader.local.dir";

  @Mixin JobOptions job = new JobOptions();

  @Spec CommandSpec spec;

  static final String DEFAULT_OUT = "lwise-out";

  /** Null when not given: then a file's aggregator.output.dir, else {@link #DEFAULT_OUT}. */
  @Option(
      names = "--out",
      description =
          "output folder (default: aggregator.output.dir if configured, else " + DEFAULT_OUT + ")")
  Path out;

  @Option(
      names = "--config",
      description = "properties file: connection and stage settings (see README)")
  Path config;

  @Option(names = "--batch-size", description = "images per micro-batch (worker.max.batch.size)")
  Integer batchSize;

  @Option(names = "--device", description = "auto, cpu, gpu or gpu:N (worker.device)")
  String device;

  @Option(
      names = "--watch",
      description =
          "after the job, keep publishing rows appended to the dirmap "
              + "(new images), scored against this job's logit range, until Ctrl-C")
  boolean watch;

  @Option(
      names = "--serve",
      description =
          "after the job, keep serving the live difficulty API and the demo "
              + "experiment ("
              + "http://127.0.0.1:<api.port>/experiment/) until Ctrl-C; --watch serves too")
  boolean serve;

  @Option(
      names = "--timeout-minutes",
      defaultValue = "120",
      description = "give up after this long")
  long timeoutMinutes;

  private void watchUntilStopped(PipelineRun run, String referenceJobId, long referenceRows)
      throws InterruptedException {
    DirmapWatcher watcher = run.watch(job.toRequest(referenceJobId), referenceRows);
    System.err.println(
        "Watching "
            + job.dirmap
            + " for new rows (job "
            + watcher.jobId()
            + "); their dirmaps: *_incoming_dirmap.csv. Ctrl-C to stop.");
    String reported = "";
    while (true) {
      JobProgress progress = run.progress(watcher.jobId());
      long done = progress == null ? 0 : progress.getCompleted() + progress.getFailed();
      long waiting = watcher.waitingRows();
      // Rows waiting for their image file are neither done nor lost: say so, rather than "done".
      String line =
          String.format(
              "incoming: %d of %d new rows done%s",
              done,
              watcher.newRows(),
              waiting > 0 ? String.format("; %d waiting for their image file", waiting) : "");
      if ((watcher.newRows() > 0 || waiting > 0) && !line.equals(reported)) {
        System.err.println(line);
        reported = line;
      }
      Thread.sleep(1000);
    }
  }

  /**
   * The job's HTML report. A report that cannot be written does not fail the run (its dirmaps and
   * images are there): the reason goes to the console and the log, and {@code lwise report} can
   * retry.
   */
  private ReportPublisher.Published writeReport(
      Map<String, String> props, String jobId, double seconds) {
    try {
      return ReportPublisher.publish(props, jobId, seconds, job.model, null);
    } catch (RuntimeException e) {
      LOG.warn("the report of job {} was not written", jobId, e);
      System.err.println(
          "The report was not written (" + e.getMessage() + "); try: lwise report " + jobId);
      return null;
    }
  }

  /**
   * The output folder: {@code --out}, else the configured {@code aggregator.output.dir}, else the
   * default.
   */
  Path outputFolder(Map<String, String> userSettings) {
    return out != null
        ? out
        : Path.of(userSettings.getOrDefault(AGGREGATOR_OUTPUT_DIR, DEFAULT_OUT));
  }

  /**
   * Every setting of this run ({@link StageSettings#forRun}: defaults, embedded connection, your
   * file and environment, then these options), so each key wins over the embedded default.
   */
  Map<String, String> settings(
      Map<String, String> userSettings, Map<String, String> embeddedConnection) {
    Path folder = outputFolder(userSettings);
    Map<String, String> defaults =
        Map.of(AGGREGATOR_OUTPUT_DIR, folder.toString(), UPLOADER_LOCAL_DIR, folder.toString());
    Map<String, String> commandLine = new HashMap<>();
    commandLine.put("worker.model.card", job.model.toString());
    if (out != null) {
      commandLine.put(AGGREGATOR_OUTPUT_DIR, out.toString());
      commandLine.put(UPLOADER_LOCAL_DIR, out.toString());
    }
    if (batchSize != null) {
      commandLine.put("worker.max.batch.size", batchSize.toString());
    }
    if (device != null) {
      commandLine.put("worker.device", device);
    }
    return StageSettings.forRun(defaults, embeddedConnection, userSettings, commandLine);
  }

  /**
   * A job that an earlier run finished is reported from its written dirmaps, without starting the
   * stages (which takes longer than the report: the model load, the consumer groups, Kafka
   * Streams). Returns the exit code, or null when the job is not finished (or was never submitted).
   */
  private static Integer reportIfFinished(
      Map<String, String> props, JobRequest request, Path folder, EmbeddedInfrastructure embedded) {
    String bootstrap = props.get(ConnectionConfig.BOOTSTRAP_SERVERS);
    TopicSetup.ensureTopics(bootstrap, ConnectionConfig.from(props).topicPartitions());
    PipelineTopics topics =
        PipelineTopics.create(new RegistrySerdes(props.get(ConnectionConfig.REGISTRY_URL)));
    String jobId = IngestPipeline.jobId(request);
    DirmapWritten natural =
        new WrittenDirmaps(bootstrap, topics.dirmaps()).of(jobId).get(Conditions.NATURAL);
    if (natural == null) {
      return null;
    }
    System.err.println("Job " + jobId + " was finished by an earlier run; its results:");
    JobProgress done =
        JobProgress.newBuilder()
            .setCompleted(natural.getRows())
            .setFailed(natural.getFailed())
            .setEmitted(true)
            .build();
    IngestReport report =
        new IngestReport(jobId, natural.getRows() + natural.getFailed(), 0, 0, true);
    RunSummary summary =
        new RunSummary(props, request, report, done, folder, embedded, Double.NaN, null, null);
    summary.print(System.out);
    if (embedded != null) {
      FinishedJobRecord.save(folder, jobId, done.getCompleted(), done.getFailed(), summary);
      embedded.close();
    }
    return done.getFailed() > 0 ? 2 : 0;
  }

  /**
   * Starts loading the PyTorch engine (libtorch's native libraries: 1–2 s of CPU and disk) on a
   * daemon thread. A failure is logged here and happens again, reported to the user, when the
   * worker loads its model.
   */
  private static void loadEngineInBackground() {
    Thread thread =
        new Thread(
            () -> {
              try {
                Engine.getEngine("PyTorch");
              } catch (RuntimeException | Error e) {
                LOG.warn("Loading libtorch ahead of the model failed: {}", e.toString());
              }
            },
            "lwise-load-engine");
    thread.setDaemon(true);
    thread.start();
  }

  private static IngestReport joinSubmission(CompletableFuture<IngestReport> submission) {
    try {
      return submission.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
  }

  @Override
  public Integer call() throws Exception {
    Map<String, String> userSettings = StageSettings.load(config);
    Path folder = outputFolder(userSettings);
    // First: a second run on a busy folder stops here, before it touches the servers or the data.
    try (OutputLock lock = OutputLock.acquire(folder, commandLine())) {
      return runLocked(userSettings, folder);
    }
  }

  /** {@code lwise run ARGS} as typed, for the lock file. */
  private String commandLine() {
    return spec == null
        ? "lwise run"
        : "lwise run " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
  }

  private Integer runLocked(Map<String, String> userSettings, Path folder) throws Exception {
    JobRequest request = job.toRequest(null);
    if (device != null) {
      InferenceDevice.select(device); // a GPU that is not there: say so before starting any server
    }
    EmbeddedInfrastructure infra = null;
    long started = System.nanoTime();
    boolean embeddedDefault = !userSettings.containsKey(ConnectionConfig.BOOTSTRAP_SERVERS);
    if (embeddedDefault && !watch && !serve) {
      String jobId = IngestPipeline.jobId(request);
      Optional<FinishedJobRecord> finished = FinishedJobRecord.load(folder, jobId);
      if (finished.isPresent()) {
        System.err.println("Job " + jobId + " was finished by an earlier run; its results:");
        System.out.print(finished.get().summary());
        return finished.get().failed() > 0 ? 2 : 0;
      }
    }
    if (embeddedDefault) {
      // The worker's model needs libtorch, which takes seconds to load: it loads beside the
      // servers instead of after them.
      loadEngineInBackground();
      System.err.println(
          "Starting the embedded Kafka broker, schema registry and S3 store under "
              + folder
              + " ...");
      infra =
          EmbeddedInfrastructure.start(
              folder, Launcher.registryJar(), StageSettings.corsOrigins(userSettings));
    }
    Map<String, String> props =
        settings(userSettings, infra == null ? Map.of() : infra.connection());
    EmbeddedInfrastructure embedded = infra;
    if (!watch && !serve) {
      try {
        Integer finished = reportIfFinished(props, request, folder, embedded);
        if (finished != null) {
          return finished;
        }
      } catch (RuntimeException e) {
        if (embedded != null) {
          embedded.close();
        }
        throw e;
      }
    }
    // Published while the stages start (it needs only the servers): the work is on Kafka by the
    // time
    // the worker joins its group, which reads from the committed offsets whenever it joins.
    CompletableFuture<IngestReport> submission =
        watch || serve
            ? null
            : CompletableFuture.supplyAsync(
                () -> {
                  TopicSetup.ensureTopics(
                      props.get(ConnectionConfig.BOOTSTRAP_SERVERS),
                      ConnectionConfig.from(props).topicPartitions());
                  try (IngestApp ingest = new IngestApp(IngestConfig.from(props))) {
                    return ingest.submit(request, n -> {});
                  }
                });
    PipelineRun run;
    try {
      run = new PipelineRun(props, 1);
    } catch (RuntimeException e) {
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
    AtomicBoolean closed = new AtomicBoolean();
    AtomicBoolean interrupted = new AtomicBoolean();
    Runnable closeAll =
        () -> {
          if (closed.compareAndSet(false, true)) {
            run.close();
            if (embedded != null) {
              embedded.close();
            }
          }
        };
    // Ctrl-C: stop the stages and servers cleanly; committed work is kept and a re-run resumes.
    Thread hook =
        new Thread(
            () -> {
              interrupted.set(true);
              ConsoleLogFilter.quietFromNowOn();
              System.err.println(
                  "\nStopping (Ctrl-C): committed work is kept; run the same command again to resume.");
              closeAll.run();
            },
            "lwise-run-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    String apiUrl = run.aggregator().apiUrl();
    if (apiUrl != null) {
      System.err.println(
          "API: "
              + apiUrl
              + " (live difficulty; demo experiment "
              + RunSummary.experimentUrl(apiUrl)
              + ")");
    }
    if (run.metricsUrl() != null) {
      System.err.println(
          "Metrics: " + run.metricsUrl() + "/metrics (health: /health/live, /health/ready)");
    }
    try {
      IngestReport report;
      if (submission != null) {
        report = joinSubmission(submission);
      } else {
        run.awaitWorkersAssigned(Duration.ofMinutes(2));
        report = run.submit(request, n -> {});
      }
      if (report.alreadySubmitted()) {
        System.err.println(
            "Job " + report.jobId() + " was submitted by an earlier run; resuming it.");
      }
      JobProgress done;
      try (ProgressBar bar =
          new ProgressBarBuilder()
              .setTaskName("Images")
              .setInitialMax(report.rows())
              .setStyle(ProgressBarStyle.ASCII)
              .setUpdateIntervalMillis(500)
              .showSpeed()
              .build()) {
        done =
            run.awaitCompletion(
                report.jobId(),
                Duration.ofMinutes(timeoutMinutes),
                (completed, failed) -> {
                  bar.stepTo(completed + failed);
                  bar.setExtraMessage(failed > 0 ? failed + " failed" : "");
                });
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      ReportPublisher.Published jobReport = writeReport(props, report.jobId(), seconds);
      RunSummary summary =
          new RunSummary(
              props, request, report, done, folder, embedded, seconds, apiUrl, jobReport);
      summary.print(System.out);
      if (embedded != null && !watch) {
        FinishedJobRecord.save(
            folder, report.jobId(), done.getCompleted(), done.getFailed(), summary);
      }
      if (watch) {
        watchUntilStopped(run, report.jobId(), report.rows());
      } else if (serve) {
        System.err.println(
            "Serving "
                + (apiUrl == null
                    ? "(no API: api.port is -1)"
                    : apiUrl + " and " + RunSummary.experimentUrl(apiUrl))
                + " until Ctrl-C.");
        run.awaitStopped();
      }
      return done.getFailed() > 0 ? 2 : 0;
    } catch (RuntimeException e) {
      if (interrupted.get()) {
        return 130; // stopped by the user; the stages' failures are the shutdown's, not errors
      }
      throw e;
    } finally {
      closeAll.run();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // Already shutting down: the hook has run or is running.
      }
    }
  }
}
