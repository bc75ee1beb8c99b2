package org.lwise.stream.launcher;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.method.EnhancementCondition;
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.method.L2ProjectedAscent;
import org.lwise.stream.method.ModelCard;
import org.lwise.stream.method.Preprocessor;
import org.lwise.stream.method.RobustClassifier;
import org.lwise.stream.method.TrajectoryPlanner;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Objective;
import org.lwise.stream.worker.WorkerProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lwise bench-pipeline}: where the CPU goes in a whole job on the embedded default. All
 * stages run in this JVM, so each thread group's CPU time (ThreadMXBean) is read before and after
 * the job: the worker's inference thread (model passes split out by the worker's own profile), its
 * codec threads, its loop and Kafka clients; the uploader, its Kafka clients and the S3 client;
 * Kafka Streams; the in-process broker; S3Proxy's Jetty threads; the registry's child process from
 * /proc. Variants of stage settings ({@code --variant name:key=value,...}) run one after another on
 * the same servers and images, so before/after figures come from one sitting.
 */
@Command(
    name = "bench-pipeline",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark: a whole job on the embedded default; CPU ms per output image per stage thread group, "
            + "the inference thread's model-busy fraction, and variants of stage settings side by side.",
    footer = {
      "%nExamples:",
      "  lwise bench-pipeline --count 128 --variant before:worker.pipeline.depth=0 --variant after:worker.pipeline.depth=3",
      "  lwise bench-pipeline --model method/src/test/resources/models/tiny-224 --count 64 --repeat 2"
    })
public final class PipelineBenchCommand implements Callable<Integer> {

  @Option(
      names = "--model",
      defaultValue = "method/src/test/resources/models/slim-resnet18",
      description =
          "model card (default ${DEFAULT-VALUE}; tiny-224 beside it measures the plumbing alone)")
  Path model;

  @Option(
      names = "--count",
      defaultValue = "64",
      description = "images per job (default ${DEFAULT-VALUE})")
  int count;

  @Option(
      names = "--size",
      defaultValue = "256",
      description = "side of the generated input JPEGs in px (default ${DEFAULT-VALUE})")
  int size;

  @Option(
      names = "--eps",
      split = ",",
      defaultValue = "0.25,0.5,1,2,4,8",
      description =
          "enhancement budgets, step 0.5, steps 2*eps (default: the published sweep ${DEFAULT-VALUE})")
  List<Double> eps;

  @Option(
      names = "--objective",
      defaultValue = "logit",
      description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
  Objective objective;

  @Option(
      names = "--batch-size",
      defaultValue = "16",
      description = "worker.max.batch.size (default ${DEFAULT-VALUE})")
  int batchSize;

  @Option(
      names = "--variant",
      description =
          "name:key=value,key=value — stage settings of one variant; "
              + "repeat the option to compare (default: one variant with the defaults)")
  List<String> variants = new ArrayList<>();

  @Option(
      names = "--repeat",
      defaultValue = "1",
      description = "rounds over all variants, interleaved (default ${DEFAULT-VALUE})")
  int repeat;

  @Option(
      names = "--warmup",
      defaultValue = "16",
      description = "images of an unmeasured first job (JIT, model load; default ${DEFAULT-VALUE})")
  int warmup;

  @Option(
      names = "--bare",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "then time the bare in-process loop on the same work and print the pipeline's "
              + "throughput over it (default on; --no-bare skips it)")
  boolean bare;

  @Option(
      names = "--threads",
      description = "also list the busiest threads by name (to check the grouping)")
  boolean listThreads;

  @Option(
      names = "--out",
      defaultValue = "lwise-bench-pipeline",
      description = "scratch folder, emptied first (default ${DEFAULT-VALUE})")
  Path out;

  /** The S3 client's threads: the AWS SDK's response executor and its Netty event loops. */
  static final Predicate<String> S3_CLIENT_THREADS =
      n ->
          n.startsWith("sdk-async-response")
              || n.startsWith("aws-java-sdk")
              || n.contains("NettyEventLoop");

  /** The embedded S3 store's threads: S3Proxy's Jetty server. */
  static final Predicate<String> S3_STORE_THREADS =
      n ->
          n.startsWith("qtp")
              || n.toLowerCase(Locale.ROOT).contains("jetty")
              || n.contains("S3Proxy");

  /**
   * A thread group: a name and which threads (by name) belong to it; the first group that matches
   * wins.
   */
  private record Group(
      String name, boolean workerPlumbing, boolean uploader, Predicate<String> member) {}

  private static final List<Group> GROUPS =
      List.of(
          new Group("worker inference thread", false, false, n -> n.equals("lwise-inference")),
          new Group(
              "worker codec pool (decode, encode)", true, false, n -> n.startsWith("lwise-codec")),
          new Group(
              "worker loop (poll, commit)", true, false, n -> n.startsWith("lwise-gpu-worker-")),
          new Group(
              "worker Kafka client threads", true, false, n -> n.contains("lwise-gpu-worker")),
          new Group("uploader loop", false, true, n -> n.equals("lwise-uploader")),
          new Group(
              "uploader Kafka client threads", false, true, n -> n.contains("lwise-uploader")),
          new Group("S3 client (AWS SDK, Netty)", false, true, S3_CLIENT_THREADS),
          new Group(
              "aggregator (Kafka Streams, API)",
              false,
              false,
              n ->
                  n.contains("lwise-aggregator")
                      || n.contains("StreamThread")
                      || n.startsWith("lwise-api")
                      || n.startsWith("vert.x")
                      || n.startsWith("lwise-dirmap")),
          new Group("S3 store (S3Proxy, Jetty)", false, false, S3_STORE_THREADS),
          new Group(
              "ingest and this command",
              false,
              false,
              n -> n.equals("main") || n.contains("lwise-ingest") || n.startsWith("ForkJoinPool")),
          new Group("broker (in-process KRaft)", false, false, n -> true));

  @Override
  public Integer call() throws Exception {
    BenchImages.deleteTree(out);
    Path root = Files.createDirectories(out.resolve("dataset"));
    Path dirmap = BenchImages.writeDataset(root, count, size);
    List<Condition> conditions = new ArrayList<>();
    for (double e : eps) {
      conditions.add(Conditions.create(e, 0.5, null, objective, List.of(), false));
    }
    Map<String, Map<String, String>> settings = parseVariants();
    String modelId = ModelCard.read(model).id();
    System.err.println("Starting the embedded servers under " + out + " ...");
    try (EmbeddedInfrastructure infra =
        EmbeddedInfrastructure.start(out, Launcher.registryJar(), List.of("*"))) {
      long registryPid = infra.registry().processHandle().map(ProcessHandle::pid).orElse(-1L);
      int job = 0;
      System.out.printf(
          Locale.ROOT,
          "Model %s, %d images (%d px JPEG) x %d outputs (natural + eps %s, %s), "
              + "batch %d, %d CPU cores, OMP_NUM_THREADS=%s%n",
          modelId,
          count,
          size,
          conditions.size() + 1,
          eps,
          objective.name().toLowerCase(Locale.ROOT),
          batchSize,
          Runtime.getRuntime().availableProcessors(),
          System.getenv().getOrDefault("OMP_NUM_THREADS", "unset"));
      Map<String, List<Result>> results = new LinkedHashMap<>();
      for (int round = 0; round < repeat; round++) {
        for (Map.Entry<String, Map<String, String>> variant : settings.entrySet()) {
          Map<String, String> props = new HashMap<>(infra.connection());
          props.put("worker.model.card", model.toString());
          props.put("worker.max.batch.size", String.valueOf(batchSize));
          props.put("aggregator.output.dir", out.toString());
          props.put("uploader.local.dir", out.toString());
          props.put("api.port", "-1");
          props.putAll(variant.getValue());
          try (PipelineRun run = new PipelineRun(props, 1)) {
            run.awaitWorkersAssigned(Duration.ofMinutes(2));
            if (round == 0 && job == 0 && warmup > 0) {
              runJob(run, dirmap, "warmup", warmup, modelId, conditions);
            }
            Result result = measure(run, dirmap, "bench" + job++, modelId, conditions, registryPid);
            results.computeIfAbsent(variant.getKey(), k -> new ArrayList<>()).add(result);
            print(variant.getKey(), round, result);
          }
        }
      }
      if (settings.size() > 1 || repeat > 1) {
        summary(results);
      }
      if (bare) {
        compareWithBareLoop(root, results);
      }
    }
    return 0;
  }

  /**
   * The same work without the pipeline: this JVM's own copy of the model runs the shared sweep on
   * the same images (decoded beforehand, untimed), labels, conditions and batch size, then each
   * variant's job is set against it as throughput, pipeline over bare loop. The servers are idle by
   * then, so the bare loop has the machine to itself.
   */
  private void compareWithBareLoop(Path root, Map<String, List<Result>> results) throws Exception {
    List<EnhancementCondition> sweep = new ArrayList<>();
    for (double e : eps) {
      sweep.add(
          EnhancementCondition.plain(
              "eps " + e,
              e,
              0.5,
              Math.max(1, (int) Math.rint(2 * e)),
              org.lwise.stream.method.Objective.valueOf(objective.name())));
    }
    try (RobustClassifier classifier = RobustClassifier.load(model)) {
      Preprocessor preprocessor = new Preprocessor(classifier.card().inputSize());
      List<float[]> x0 = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        byte[] jpeg =
            Files.readAllBytes(root.resolve(String.format(Locale.ROOT, "images/img-%04d.jpg", i)));
        x0.add(Preprocessor.toChw(preprocessor.resizeAndCrop(new ImageDecoder().decode(jpeg))));
      }
      // The dataset's labels are row % 7 (BenchImages), which run() reproduces from this list.
      List<Integer> classes = new ArrayList<>();
      for (int c = 0; c < Math.min(7, classifier.card().numClasses()); c++) {
        classes.add(c);
      }
      L2ProjectedAscent ascent = new L2ProjectedAscent(classifier);
      List<TrajectoryPlanner.Plan> plans = TrajectoryPlanner.plan(sweep, true);
      BenchCommand.run(
          ascent, x0.subList(0, Math.min(batchSize, count)), plans, classes, batchSize);
      long t0 = System.nanoTime();
      BenchCommand.run(ascent, x0, plans, classes, batchSize);
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "%nBare loop (the same %d images, eps %s, batch %d, in this JVM without Kafka or S3): "
              + "%.1f s, %.2f images/s%n",
          count,
          eps,
          batchSize,
          seconds,
          count / seconds);
      for (Map.Entry<String, List<Result>> e : results.entrySet()) {
        double job = median(e.getValue().stream().mapToDouble(Result::seconds).toArray());
        System.out.printf(
            Locale.ROOT,
            "  %-16s pipeline %.1f s: pipeline / bare loop throughput = %.2f%n",
            e.getKey(),
            job,
            seconds / job);
      }
    }
  }

  private Map<String, Map<String, String>> parseVariants() {
    Map<String, Map<String, String>> parsed = new LinkedHashMap<>();
    if (variants.isEmpty()) {
      parsed.put("defaults", Map.of());
    }
    for (String variant : variants) {
      int colon = variant.indexOf(':');
      String name = colon < 0 ? variant : variant.substring(0, colon);
      Map<String, String> props = new LinkedHashMap<>();
      if (colon >= 0 && colon + 1 < variant.length()) {
        for (String pair : variant.substring(colon + 1).split(",")) {
          String[] kv = pair.split("=", 2);
          if (kv.length != 2) {
            throw new IllegalArgumentException(
                "--variant " + variant + ": expected name:key=value,key=value");
          }
          props.put(kv[0].strip(), kv[1].strip());
        }
      }
      parsed.put(name, props);
    }
    return parsed;
  }

  private IngestReport runJob(
      PipelineRun run,
      Path dirmap,
      String dataset,
      int rows,
      String modelId,
      List<Condition> conditions)
      throws Exception {
    Path csv = dirmap;
    if (rows < count) {
      csv = BenchImages.firstRows(dirmap, rows, "dirmap-" + dataset);
    }
    IngestReport report =
        run.submit(
            new JobRequest(
                csv, dataset, modelId, "class_num", true, conditions, ImageFormat.PNG, null),
            n -> {});
    run.awaitCompletion(report.jobId(), Duration.ofMinutes(60), (d, f) -> {});
    return report;
  }

  private record Result(
      double seconds,
      long outputs,
      long inputs,
      Map<String, Long> cpuNanos,
      long outsideThreadsNanos,
      long registryNanos,
      WorkerProfile.Snapshot worker,
      double loadBefore,
      double loadAfter,
      long rssBeforeKb,
      long rssAfterKb) {
    long totalNanos() {
      return cpuNanos.values().stream().mapToLong(Long::longValue).sum()
          + outsideThreadsNanos
          + registryNanos;
    }
  }

  private Result measure(
      PipelineRun run,
      Path dirmap,
      String dataset,
      String modelId,
      List<Condition> conditions,
      long registryPid)
      throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    double loadBefore = os.getSystemLoadAverage();
    long rssBefore = residentKb();
    Map<Long, String> names = new HashMap<>();
    Map<Long, Long> before = threadCpu(threads, names);
    long processBefore = os.getProcessCpuTime();
    long registryBefore = processCpuNanos(registryPid);
    WorkerProfile.Snapshot workerBefore = WorkerProfile.process().snapshot();
    WorkerProfile.process().startSpan();
    long t0 = System.nanoTime();
    runJob(run, dirmap, dataset, count, modelId, conditions);
    double seconds = (System.nanoTime() - t0) / 1e9;
    Map<Long, Long> after = threadCpu(threads, names);
    long processCpu = os.getProcessCpuTime() - processBefore;
    long registryCpu = processCpuNanos(registryPid) - registryBefore;
    WorkerProfile.Snapshot worker = WorkerProfile.process().snapshot().minus(workerBefore);
    if (listThreads) {
      after.entrySet().stream()
          .map(
              e ->
                  Map.entry(
                      names.get(e.getKey()), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
          .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
          .limit(40)
          .forEach(
              e ->
                  System.out.printf(
                      Locale.ROOT, "    %8.0f ms  %s%n", e.getValue() / 1e6, e.getKey()));
    }
    Map<String, Long> byGroup = new LinkedHashMap<>();
    GROUPS.forEach(g -> byGroup.put(g.name(), 0L));
    long threadSum = 0;
    for (Map.Entry<Long, Long> entry : after.entrySet()) {
      long delta = entry.getValue() - before.getOrDefault(entry.getKey(), 0L);
      String name = names.get(entry.getKey());
      Group group = GROUPS.stream().filter(g -> g.member().test(name)).findFirst().orElseThrow();
      byGroup.merge(group.name(), delta, Long::sum);
      threadSum += delta;
    }
    return new Result(
        seconds,
        worker.outputImages(),
        count,
        byGroup,
        Math.max(0, processCpu - threadSum),
        registryCpu,
        worker,
        loadBefore,
        os.getSystemLoadAverage(),
        rssBefore,
        residentKb());
  }

  /** CPU nanoseconds of each live thread by id; {@code names} gets their names. */
  static Map<Long, Long> threadCpu(ThreadMXBean threads, Map<Long, String> names) {
    Map<Long, Long> cpu = new HashMap<>();
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      long nanos = threads.getThreadCpuTime(info.getThreadId());
      if (nanos >= 0) {
        cpu.put(info.getThreadId(), nanos);
        names.put(info.getThreadId(), info.getThreadName());
      }
    }
    return cpu;
  }

  /**
   * This JVM's resident set (Java heap, native memory of libtorch and the servers), or -1 off
   * Linux.
   */
  static long residentKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }

  /**
   * utime + stime of a child process from /proc (clock ticks of 10 ms on Linux), or 0 where
   * unreadable.
   */
  static long processCpuNanos(long pid) {
    if (pid < 0) {
      return 0;
    }
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      // Fields after the command name, which is in parentheses and may contain spaces.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      return ticks * 10_000_000L;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private void print(String variant, int round, Result r) {
    double outputs = Math.max(1, r.outputs());
    System.out.printf(
        Locale.ROOT,
        "%n[%s, round %d] %d images, %d outputs in %.1f s: %.1f images/s, %.1f outputs/s; "
            + "load average %.2f -> %.2f%n",
        variant,
        round + 1,
        r.inputs(),
        r.outputs(),
        r.seconds(),
        r.inputs() / r.seconds(),
        r.outputs() / r.seconds(),
        r.loadBefore(),
        r.loadAfter());
    System.out.printf(
        Locale.ROOT,
        "  %-44s %10s %12s %9s %12s%n",
        "thread group",
        "CPU ms",
        "ms/output",
        "% CPU",
        "cores busy");
    long total = r.totalNanos();
    for (Map.Entry<String, Long> e : r.cpuNanos().entrySet()) {
      row(e.getKey(), e.getValue(), outputs, total, r.seconds());
    }
    row("registry (child process, /proc)", r.registryNanos(), outputs, total, r.seconds());
    row(
        "not in Java threads (GC, JIT, torch natives)",
        r.outsideThreadsNanos(),
        outputs,
        total,
        r.seconds());
    row("total", total, outputs, total, r.seconds());
    WorkerProfile.Snapshot w = r.worker();
    long span = w.lastModelEnd() - w.firstModelStart();
    long inference = r.cpuNanos().get(GROUPS.get(0).name());
    long workerPlumbing = inference - w.modelCpuNanos();
    long uploader = 0;
    for (Group g : GROUPS) {
      if (g.workerPlumbing()) {
        workerPlumbing += r.cpuNanos().get(g.name());
      }
      if (g.uploader()) {
        uploader += r.cpuNanos().get(g.name());
      }
    }
    System.out.printf(
        Locale.ROOT,
        "  model passes: %.1f s wall (%.1f s CPU) in %d batches = %.3f of the inference "
            + "thread's span (%.1f s), %.3f of the job's wall time%n",
        w.modelNanos() / 1e9,
        w.modelCpuNanos() / 1e9,
        w.modelPasses(),
        span > 0 ? (double) w.modelNanos() / span : 0,
        span / 1e9,
        w.modelNanos() / 1e9 / r.seconds());
    System.out.printf(
        Locale.ROOT,
        "  worker: decode %.2f ms CPU/input, image statistics %.2f ms CPU/input, "
            + "encode %.2f ms CPU/output (%.1f KB/output), commit %.2f ms CPU/output%n",
        w.decodeCpuNanos() / 1e6 / Math.max(1, w.inputImages()),
        w.statisticsCpuNanos() / 1e6 / Math.max(1, w.inputImages()),
        (w.encodeCpuNanos() - w.statisticsCpuNanos()) / 1e6 / outputs,
        w.outputBytes() / 1024.0 / outputs,
        w.commitCpuNanos() / 1e6 / outputs);
    System.out.printf(
        Locale.ROOT,
        "  worker plumbing (all worker threads but model passes) %.2f + uploader %.2f = "
            + "%.2f ms CPU/output%n",
        workerPlumbing / 1e6 / outputs,
        uploader / 1e6 / outputs,
        (workerPlumbing + uploader) / 1e6 / outputs);
    System.out.printf(
        Locale.ROOT,
        "  resident set of this JVM (all stages and the broker): %d MB before the job, %d MB after%n",
        r.rssBeforeKb() / 1024,
        r.rssAfterKb() / 1024);
  }

  private static void row(String name, long nanos, double outputs, long total, double seconds) {
    System.out.printf(
        Locale.ROOT,
        "  %-44s %10.0f %12.2f %8.1f%% %12.2f%n",
        name,
        nanos / 1e6,
        nanos / 1e6 / outputs,
        100.0 * nanos / Math.max(1, total),
        nanos / 1e9 / seconds);
  }

  private static void summary(Map<String, List<Result>> results) {
    System.out.printf(
        Locale.ROOT,
        "%nSummary (median over rounds)%n  %-16s %10s %10s %14s %14s %18s%n",
        "variant",
        "seconds",
        "images/s",
        "CPU ms/output",
        "model busy",
        "plumbing ms/out");
    for (Map.Entry<String, List<Result>> e : results.entrySet()) {
      List<Result> rs = e.getValue();
      System.out.printf(
          Locale.ROOT,
          "  %-16s %10.1f %10.2f %14.2f %14.3f %18s%n",
          e.getKey(),
          median(rs.stream().mapToDouble(Result::seconds).toArray()),
          median(rs.stream().mapToDouble(r -> r.inputs() / r.seconds()).toArray()),
          median(
              rs.stream()
                  .mapToDouble(r -> r.totalNanos() / 1e6 / Math.max(1, r.outputs()))
                  .toArray()),
          median(
              rs.stream()
                  .mapToDouble(
                      r -> {
                        long span = r.worker().lastModelEnd() - r.worker().firstModelStart();
                        return span > 0 ? (double) r.worker().modelNanos() / span : 0;
                      })
                  .toArray()),
          String.format(
              Locale.ROOT,
              "%.2f",
              median(rs.stream().mapToDouble(PipelineBenchCommand::plumbingPerOutput).toArray())));
    }
  }

  private static double plumbingPerOutput(Result r) {
    long nanos = r.cpuNanos().get(GROUPS.get(0).name()) - r.worker().modelCpuNanos();
    for (Group g : GROUPS) {
      if (g.workerPlumbing() || g.uploader()) {
        nanos += r.cpuNanos().get(g.name());
      }
    }
    return nanos / 1e6 / Math.max(1, r.outputs());
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
