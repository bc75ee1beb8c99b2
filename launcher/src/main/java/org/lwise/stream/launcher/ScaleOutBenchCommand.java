package org.lwise.stream.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.KafkaClients;
import org.lwise.stream.common.TopicNames;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.method.ModelCard;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Objective;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lwise bench-scaleout}: gpu-workers as separate processes (one libtorch thread each) on the
 * embedded default. First the same job with 1 and then 2 workers; then, for each group protocol, a
 * long job during which a second worker joins, leaves (SIGTERM) and a third one crashes (SIGKILL).
 * The pause is read two ways: how long Kafka's view of the group takes to settle (Admin, polled
 * every 50 ms), and the longest stretch in which no worker committed an image (a read_committed
 * consumer on the scores topic), beside the same figure for a steady stretch.
 */
@Command(
    name = "bench-scaleout",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark: throughput with 1 and 2 gpu-worker processes, and the pause when a worker "
            + "joins, leaves or crashes during a job, per group protocol (classic, consumer).",
    footer = {
      "%nExamples:",
      "  lwise bench-scaleout",
      "  lwise bench-scaleout --protocols consumer --count 32 --pause-count 1500 --no-crash"
    })
public final class ScaleOutBenchCommand implements Callable<Integer> {
  private static final String GROUP = "lwise-gpu-worker";

  @Option(
      names = "--model",
      defaultValue = "method/src/test/resources/models/slim-resnet18",
      description = "model card (default ${DEFAULT-VALUE})")
  Path model;

  @Option(
      names = "--count",
      defaultValue = "48",
      description = "images of the throughput job (default ${DEFAULT-VALUE})")
  int count;

  @Option(
      names = "--eps",
      split = ",",
      defaultValue = "0.25,0.5,1,2,4,8",
      description =
          "budgets of the throughput job, step 0.5, steps 2*eps (default: the published sweep "
              + "${DEFAULT-VALUE})")
  List<Double> eps;

  @Option(
      names = "--batch-size",
      defaultValue = "8",
      description = "worker.max.batch.size of the throughput job (default ${DEFAULT-VALUE})")
  int batchSize;

  @Option(
      names = "--pause-count",
      defaultValue = "1200",
      description =
          "images of each protocol's long job; it must outlast the join, leave and crash "
              + "(default ${DEFAULT-VALUE})")
  int pauseCount;

  @Option(
      names = "--pause-eps",
      split = ",",
      defaultValue = "1",
      description =
          "budgets of the long job (default ${DEFAULT-VALUE}: small batches commit often, so "
              + "gaps are measured finely)")
  List<Double> pauseEps;

  @Option(
      names = "--pause-batch-size",
      defaultValue = "2",
      description = "worker.max.batch.size of the long job (default ${DEFAULT-VALUE})")
  int pauseBatchSize;

  @Option(
      names = "--protocols",
      split = ",",
      defaultValue = "classic,consumer",
      description = "kafka.group.protocol values to compare (default ${DEFAULT-VALUE})")
  List<String> protocols;

  @Option(
      names = "--crash",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "also kill -9 a worker during the long job (default on; --no-crash skips it)")
  boolean crash;

  @Option(
      names = "--threads",
      defaultValue = "1",
      description = "libtorch threads per worker process (default ${DEFAULT-VALUE})")
  int threads;

  @Option(
      names = "--size",
      defaultValue = "256",
      description = "side of the generated input JPEGs in px (default ${DEFAULT-VALUE})")
  int size;

  @Option(
      names = "--out",
      defaultValue = "lwise-bench-scaleout",
      description = "scratch folder, emptied first (default ${DEFAULT-VALUE})")
  Path out;

  private int partitions;
  private int jobNumber;

  @Override
  public Integer call() throws Exception {
    BenchImages.deleteTree(out);
    Path dirmap =
        BenchImages.writeDataset(
            Files.createDirectories(out.resolve("dataset")), Math.max(count, pauseCount), size);
    String modelId = ModelCard.read(model).id();
    System.err.println("Starting the embedded servers under " + out + " ...");
    try (EmbeddedInfrastructure infra =
        EmbeddedInfrastructure.start(out, Launcher.registryJar(), List.of("*"))) {
      Map<String, String> props = new HashMap<>(infra.connection());
      props.put("aggregator.output.dir", out.toString());
      props.put("uploader.local.dir", out.toString());
      props.put("api.port", "-1");
      partitions = Integer.parseInt(props.getOrDefault("topic.partitions", "8"));
      try (PipelineRun run = new PipelineRun(props, 0);
          Admin admin =
              Admin.create(Map.of("bootstrap.servers", infra.kafka().bootstrapServers()))) {
        System.out.printf(
            Locale.ROOT,
            "Model %s, worker processes with %d libtorch thread(s) each, %d partitions, "
                + "%d CPU cores, load average %.2f%n",
            modelId,
            threads,
            partitions,
            Runtime.getRuntime().availableProcessors(),
            loadAverage());
        throughput(run, admin, infra, dirmap, modelId);
        for (String protocol : protocols) {
          pauses(run, admin, infra, dirmap, modelId, protocol);
        }
      }
    }
    return 0;
  }

  private Map<String, String> workerSettings(int batch, String protocol) {
    return Map.of(
        "worker.model.card", model.toAbsolutePath().toString(),
        "worker.max.batch.size", String.valueOf(batch),
        "kafka.group.protocol", protocol);
  }

  private WorkerProcess startWorker(EmbeddedInfrastructure infra, String name, int batch, String p)
      throws Exception {
    return WorkerProcess.start(
        name,
        infra.connectionFile(),
        workerSettings(batch, p),
        threads,
        List.of(),
        out.resolve("workers"));
  }

  // ---- 1 vs 2 workers ----

  private void throughput(
      PipelineRun run, Admin admin, EmbeddedInfrastructure infra, Path dirmap, String modelId)
      throws Exception {
    List<Condition> conditions = conditions(eps);
    System.out.printf(
        Locale.ROOT,
        "%nThroughput: %d images (%d px JPEG) x %d outputs (natural + eps %s), batch %d, "
            + "classic protocol%n  %-8s %9s %9s %10s %22s %12s%n",
        count,
        size,
        conditions.size() + 1,
        eps,
        batchSize,
        "workers",
        "seconds",
        "images/s",
        "vs 1",
        "worker CPU s (each)",
        "load after");
    List<WorkerProcess> workers = new ArrayList<>();
    double single = 0;
    try {
      for (int n = 1; n <= 2; n++) {
        workers.add(startWorker(infra, "throughput-" + n, batchSize, "classic"));
        awaitSettled(admin, workers, Duration.ofMinutes(3));
        // Warms the new process's JIT and libtorch on a few images of its own partitions.
        runJob(run, dirmap, 4 * batchSize * n, modelId, conditions);
        Map<Long, Long> cpuBefore = new HashMap<>();
        workers.forEach(w -> cpuBefore.put(w.pid(), PipelineBenchCommand.processCpuNanos(w.pid())));
        long t0 = System.nanoTime();
        runJob(run, dirmap, count, modelId, conditions);
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<String> cpu = new ArrayList<>();
        for (WorkerProcess w : workers) {
          cpu.add(
              String.format(
                  Locale.ROOT,
                  "%.1f",
                  (PipelineBenchCommand.processCpuNanos(w.pid()) - cpuBefore.get(w.pid())) / 1e9));
        }
        double rate = count / seconds;
        if (n == 1) {
          single = rate;
        }
        System.out.printf(
            Locale.ROOT,
            "  %-8d %9.1f %9.2f %9.2fx %22s %12.2f%n",
            n,
            seconds,
            rate,
            rate / single,
            String.join(" + ", cpu),
            loadAverage());
      }
    } finally {
      for (WorkerProcess w : workers) {
        w.close();
      }
    }
    awaitEmpty(admin, Duration.ofMinutes(1));
  }

  // ---- join, leave, crash ----

  private record Event(String name, long startNanos, long settledNanos) {}

  private void pauses(
      PipelineRun run,
      Admin admin,
      EmbeddedInfrastructure infra,
      Path dirmap,
      String modelId,
      String protocol)
      throws Exception {
    List<Condition> conditions = conditions(pauseEps);
    List<Event> events = new ArrayList<>();
    long steadyStart;
    long steadyEnd;
    try (OutputObserver observer = new OutputObserver(infra.kafka().bootstrapServers());
        WorkerProcess first = startWorker(infra, protocol + "-a", pauseBatchSize, protocol)) {
      awaitSettled(admin, List.of(first), Duration.ofMinutes(3));
      IngestReport job = submit(run, dirmap, pauseCount, modelId, conditions);
      observer.awaitOutputs(40, first, Duration.ofMinutes(3));
      steadyStart = System.nanoTime();
      Thread.sleep(4_000);
      steadyEnd = System.nanoTime();

      try (WorkerProcess second = startWorker(infra, protocol + "-b", pauseBatchSize, protocol)) {
        events.add(watch(admin, "join", List.of(first, second), 0, Duration.ofMinutes(3)));
        Thread.sleep(4_000);
        long signal = System.nanoTime();
        second.stop(Duration.ofSeconds(60));
        events.add(watch(admin, "leave (SIGTERM)", List.of(first), signal, Duration.ofMinutes(1)));
      }
      Thread.sleep(4_000);
      if (crash) {
        try (WorkerProcess third = startWorker(infra, protocol + "-c", pauseBatchSize, protocol)) {
          awaitSettled(admin, List.of(first, third), Duration.ofMinutes(3));
          Thread.sleep(3_000);
          long signal = System.nanoTime();
          third.kill();
          events.add(
              watch(admin, "crash (SIGKILL)", List.of(first), signal, Duration.ofMinutes(2)));
        }
        Thread.sleep(3_000);
      }
      long eventsEnd = System.nanoTime();
      if (observer.outputs() >= pauseCount) {
        throw new IllegalStateException(
            "the long job ended before the last event was measured: raise --pause-count above "
                + pauseCount);
      }
      run.awaitCompletion(job.jobId(), Duration.ofMinutes(30), (d, f) -> {});
      System.out.printf(
          Locale.ROOT,
          "%nRebalance pauses, %s protocol: %d images x %d outputs (natural + eps %s), batch %d; "
              + "load average %.2f%n  %-18s %14s %26s %28s%n",
          protocol,
          pauseCount,
          conditions.size() + 1,
          pauseEps,
          pauseBatchSize,
          loadAverage(),
          "event",
          "settled in ms",
          "longest gap, all workers",
          "longest gap, one partition");
      System.out.printf(
          Locale.ROOT,
          "  %-18s %14s %23.0f ms %25.0f ms%n",
          "steady, 1 worker",
          "-",
          observer.longestGap(steadyStart, steadyEnd, -1) / 1e6,
          observer.longestPartitionGap(steadyStart, steadyEnd) / 1e6);
      for (Event e : events) {
        // The window runs on 2 s past the settled group: the new owner's first commit ends the
        // pause, not the assignment.
        long end = Math.min(e.settledNanos() + 2_000_000_000L, eventsEnd);
        System.out.printf(
            Locale.ROOT,
            "  %-18s %14.0f %23.0f ms %25.0f ms%n",
            e.name(),
            (e.settledNanos() - e.startNanos()) / 1e6,
            observer.longestGap(e.startNanos(), end, -1) / 1e6,
            observer.longestPartitionGap(e.startNanos(), end) / 1e6);
      }
    }
    awaitEmpty(admin, Duration.ofMinutes(1));
  }

  /**
   * From {@code startNanos} (0: the first poll that sees the group change) until the group is
   * settled with exactly {@code members}.
   */
  private Event watch(
      Admin admin, String name, List<WorkerProcess> members, long startNanos, Duration timeout)
      throws Exception {
    GroupView before = GroupView.of(admin, partitions);
    long deadline = System.nanoTime() + timeout.toNanos();
    long start = startNanos;
    while (System.nanoTime() < deadline) {
      members.forEach(WorkerProcess::requireAlive);
      GroupView view = GroupView.of(admin, partitions);
      long now = System.nanoTime();
      if (start == 0 && !view.equals(before)) {
        start = now;
      }
      if (start != 0 && view.settled(members.size())) {
        return new Event(name, start, now);
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(
        "the "
            + name
            + " did not settle within "
            + timeout
            + ": "
            + GroupView.of(admin, partitions));
  }

  private void awaitSettled(Admin admin, List<WorkerProcess> members, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!GroupView.of(admin, partitions).settled(members.size())) {
      members.forEach(WorkerProcess::requireAlive);
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            members.size()
                + " workers did not settle within "
                + timeout
                + ": "
                + GroupView.of(admin, partitions));
      }
      Thread.sleep(50);
    }
  }

  private void awaitEmpty(Admin admin, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (GroupView.of(admin, partitions).members() > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the worker group did not empty within " + timeout);
      }
      Thread.sleep(100);
    }
  }

  /**
   * Kafka's view of the worker group: its state, members, the partitions they hold, and whether
   * every member holds its target assignment (the consumer protocol reconciles in steps).
   */
  record GroupView(String state, int members, int holding, int partitionsHeld, boolean reconciled) {
    static GroupView of(Admin admin, int partitions) throws Exception {
      ConsumerGroupDescription d;
      try {
        d = admin.describeConsumerGroups(List.of(GROUP)).all().get(10, TimeUnit.SECONDS).get(GROUP);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof GroupIdNotFoundException) {
          return new GroupView("NONE", 0, 0, 0, true); // no member has joined yet
        }
        throw e;
      }
      Set<TopicPartition> held = new HashSet<>();
      int holding = 0;
      boolean reconciled = true;
      for (MemberDescription m : d.members()) {
        Set<TopicPartition> own = m.assignment().topicPartitions();
        held.addAll(own);
        holding += own.isEmpty() ? 0 : 1;
        reconciled &= m.targetAssignment().map(t -> t.topicPartitions().equals(own)).orElse(true);
      }
      return new GroupView(
          d.groupState().toString(), d.members().size(), holding, held.size(), reconciled);
    }

    boolean settled(int expectedMembers) {
      return state.equals(GroupState.STABLE.toString())
          && members == expectedMembers
          && holding == expectedMembers
          && reconciled;
    }
  }

  // ---- jobs ----

  private static List<Condition> conditions(List<Double> budgets) {
    List<Condition> conditions = new ArrayList<>();
    for (double e : budgets) {
      conditions.add(Conditions.create(e, 0.5, null, Objective.LOGIT, List.of(), false));
    }
    return conditions;
  }

  private IngestReport submit(
      PipelineRun run, Path dirmap, int rows, String modelId, List<Condition> conditions)
      throws Exception {
    // A new dataset name per job: an identical job would be recognised as finished.
    String dataset = "scaleout" + jobNumber++;
    Path csv = BenchImages.firstRows(dirmap, rows, "dirmap-" + dataset);
    return run.submit(
        new JobRequest(csv, dataset, modelId, "class_num", true, conditions, ImageFormat.PNG, null),
        n -> {});
  }

  private void runJob(
      PipelineRun run, Path dirmap, int rows, String modelId, List<Condition> conditions)
      throws Exception {
    IngestReport report = submit(run, dirmap, rows, modelId, conditions);
    run.awaitCompletion(report.jobId(), Duration.ofMinutes(60), (d, f) -> {});
  }

  private static double loadAverage() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  /**
   * The longest interval between consecutive {@code times} (ascending) that overlaps [from, to],
   * clipped to it; an interval still open at {@code to} counts up to {@code to}.
   */
  static long longestGap(List<Long> times, long from, long to) {
    long longest = 0;
    long previous = Long.MIN_VALUE;
    for (long t : times) {
      if (previous != Long.MIN_VALUE && t > from && previous < to) {
        longest = Math.max(longest, Math.min(t, to) - Math.max(previous, from));
      }
      previous = t;
    }
    if (previous != Long.MIN_VALUE && previous < to) {
      longest = Math.max(longest, to - Math.max(previous, from));
    }
    return longest;
  }

  /**
   * When each committed score reached a read_committed reader, by partition of the scores topic
   * (keyed like the images topic, so the same partition number as the input's).
   */
  static final class OutputObserver implements AutoCloseable {
    private final List<long[]> arrivals = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private volatile RuntimeException failure;

    OutputObserver(String bootstrapServers) {
      KafkaConsumer<byte[], byte[]> consumer =
          KafkaClients.readCommittedConsumer(
              bootstrapServers, null, Map.of("fetch.max.wait.ms", 10));
      List<TopicPartition> all =
          consumer.partitionsFor(TopicNames.SCORES).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(all);
      consumer.seekToEnd(all);
      all.forEach(consumer::position);
      this.thread =
          new Thread(
              () -> {
                try (consumer) {
                  while (running.get()) {
                    var records = consumer.poll(Duration.ofMillis(20));
                    long now = System.nanoTime();
                    synchronized (arrivals) {
                      for (ConsumerRecord<byte[], byte[]> r : records) {
                        arrivals.add(new long[] {now, r.partition()});
                      }
                    }
                  }
                } catch (RuntimeException e) {
                  failure = e;
                }
              },
              "lwise-bench-observer");
      thread.setDaemon(true);
      thread.start();
    }

    int outputs() {
      check();
      synchronized (arrivals) {
        return arrivals.size();
      }
    }

    void awaitOutputs(int n, WorkerProcess worker, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (outputs() < n) {
        worker.requireAlive();
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no " + n + " outputs within " + timeout);
        }
        Thread.sleep(50);
      }
    }

    /**
     * The longest interval between consecutive arrivals (of {@code partition}, or any when -1) that
     * overlaps [from, to]; an interval still open at {@code to} counts up to {@code to}.
     */
    long longestGap(long from, long to, int partition) {
      check();
      List<Long> times = new ArrayList<>();
      synchronized (arrivals) {
        for (long[] a : arrivals) {
          if (partition < 0 || a[1] == partition) {
            times.add(a[0]);
          }
        }
      }
      return ScaleOutBenchCommand.longestGap(times, from, to);
    }

    long longestPartitionGap(long from, long to) {
      long longest = 0;
      Set<Integer> seen = new HashSet<>();
      synchronized (arrivals) {
        arrivals.forEach(a -> seen.add((int) a[1]));
      }
      for (int p : seen) {
        longest = Math.max(longest, longestGap(from, to, p));
      }
      return longest;
    }

    private void check() {
      if (failure != null) {
        throw new IllegalStateException("the output observer failed", failure);
      }
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(10_000);
    }
  }
}
