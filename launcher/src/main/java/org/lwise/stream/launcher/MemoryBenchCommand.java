package org.lwise.stream.launcher;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.math3.stat.regression.SimpleRegression;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.method.ModelCard;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.Objective;
import org.lwise.stream.worker.WorkerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lwise bench-memory}: whether a long-running gpu-worker's memory stays flat. The embedded
 * servers and the other stages run in this JVM; the one gpu-worker is a separate {@code lwise
 * worker} process with native memory tracking on, so its resident set is its own. Jobs of generated
 * images run through the whole worker path (decode, scoring, an enhancement, PNG encoding, one
 * Kafka transaction per micro-batch) until it has run {@code --batches} micro-batches; between
 * jobs, with the worker idle, its VmRSS, the JVM's own accounting ({@code jcmd VM.native_memory
 * summary}, {@code GC.heap_info}) and the difference of the two — memory the JVM does not know
 * about: libtorch, glibc malloc arenas — are sampled. Micro-batches are counted by the worker
 * itself (its {@code lwise_worker_batch_images_count} on its metrics port), so a batch size above 1
 * counts right too. At the end: which NMT categories moved since the first sample ({@code
 * summary.diff} against a baseline), each quantity's growth, and a least-squares slope over the
 * second half of the samples with its standard error; memory counts as flat when the slope plus two
 * standard errors stays under {@code --flat-kb}. {@code --full-gc} makes the heap column the live
 * set.
 */
@Command(
    name = "bench-memory",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark: a gpu-worker process's resident set and native memory (NMT) over many micro-batches "
            + "on the embedded default; a row per sample, the growth per 1,000 batches, and <out>/memory.csv.",
    footer = {
      "%nExamples:",
      "  lwise bench-memory",
      "  lwise bench-memory --batches 500 --sample-every 100",
      "  lwise bench-memory --model method/src/test/resources/models/slim-resnet18 --size 256 --batch-size 4 --batches 2000"
    })
public final class MemoryBenchCommand implements Callable<Integer> {

  /** The worker's count of micro-batches its model ran (a Micrometer distribution summary). */
  static final String BATCH_COUNT_METRIC = "lwise_worker_batch_images_count";

  @Option(
      names = "--model",
      defaultValue = "${sys:lwise.home:-.}/demo/models/fashion-cnn-robust",
      description = "model card (default ${DEFAULT-VALUE})")
  Path model;

  @Option(
      names = "--batches",
      defaultValue = "10000",
      description = "micro-batches the worker runs after the warm-up (default ${DEFAULT-VALUE})")
  long batches;

  @Option(
      names = "--sample-every",
      defaultValue = "1000",
      description =
          "micro-batches per job; memory is sampled after each, and once after the warm-up "
              + "(default ${DEFAULT-VALUE})")
  int sampleEvery;

  @Option(
      names = "--batch-size",
      defaultValue = "1",
      description = "worker.max.batch.size (default ${DEFAULT-VALUE}: each image is a micro-batch)")
  int batchSize;

  @Option(
      names = "--size",
      defaultValue = "28",
      description = "side of the generated input JPEGs in px (default ${DEFAULT-VALUE})")
  int size;

  @Option(
      names = "--eps",
      split = ",",
      defaultValue = "1",
      description = "enhancement budgets (L2 logit ascent, step 0.5; default ${DEFAULT-VALUE})")
  List<Double> eps;

  @Option(
      names = "--warmup",
      defaultValue = "1000",
      description =
          "images of an unsampled first job (JIT, model load, pools; default ${DEFAULT-VALUE})")
  int warmup;

  @Option(
      names = "--flat-kb",
      defaultValue = "1024",
      description =
          "flat: growth over the second half of the samples, slope + 2 standard errors, under this "
              + "many KB per 1,000 micro-batches (about bytes per micro-batch; default ${DEFAULT-VALUE})")
  double flatKb;

  @Option(
      names = "--heap",
      defaultValue = "256m",
      description =
          "the worker's Java heap, fixed (-Xms = -Xmx) so that the collector resizing it does not "
              + "move RSS; auto: -Xmx2g and the collector's own sizing (default ${DEFAULT-VALUE})")
  String heap;

  @Option(
      names = "--full-gc",
      description =
          "a full collection in the worker before each sample (jcmd GC.run): heap used is then the "
              + "live set, and the collector may shrink the heap")
  boolean fullGc;

  @Option(
      names = "--out",
      defaultValue = "lwise-bench-memory",
      description = "scratch folder, emptied first (default ${DEFAULT-VALUE})")
  Path out;

  /** One sample of the worker's memory, all in KB. */
  record Sample(
      long batches,
      long images,
      double seconds,
      long rssKb,
      long nmtReservedKb,
      long nmtCommittedKb,
      long heapCommittedKb,
      long heapUsedKb) {
    /** Resident memory the JVM does not account for (libtorch, malloc arenas); approximate. */
    long outsideJvmKb() {
      return rssKb - nmtCommittedKb;
    }
  }

  /** The totals of {@code jcmd <pid> VM.native_memory summary}, in KB. */
  record NativeMemory(
      long reservedKb, long committedKb, long heapReservedKb, long heapCommittedKb) {}

  private static final Pattern NMT_TOTAL =
      Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB");
  private static final Pattern NMT_HEAP =
      Pattern.compile("Java Heap \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");
  // G1: one "garbage-first heap total …K, used …K" line; Serial and Parallel: one per generation.
  private static final Pattern HEAP_USED = Pattern.compile("total (\\d+)K, used (\\d+)K");

  static NativeMemory parseNativeMemory(String summary) {
    Matcher total = NMT_TOTAL.matcher(summary);
    Matcher heap = NMT_HEAP.matcher(summary);
    if (!total.find() || !heap.find()) {
      throw new IllegalStateException(
          "no native memory summary in jcmd's answer (is -XX:NativeMemoryTracking on?): "
              + summary.strip());
    }
    return new NativeMemory(
        Long.parseLong(total.group(1)),
        Long.parseLong(total.group(2)),
        Long.parseLong(heap.group(1)),
        Long.parseLong(heap.group(2)));
  }

  /** One NMT category's committed memory now and its change since the baseline, in KB. */
  record CategoryChange(String name, long committedKb, long changeKb) {}

  private static final Pattern NMT_DIFF_CATEGORY =
      Pattern.compile(
          "(?m)^\\s*-\\s+(\\S.*?) \\(reserved=\\d+KB(?: [+-]\\d+KB)?, committed=(\\d+)KB(?: ([+-]\\d+)KB)?\\)");

  /**
   * The categories of {@code jcmd <pid> VM.native_memory summary.diff} (against the last {@code
   * baseline}), largest growth first.
   */
  static List<CategoryChange> parseNativeMemoryDiff(String diff) {
    List<CategoryChange> changes = new ArrayList<>();
    Matcher m = NMT_DIFF_CATEGORY.matcher(diff);
    while (m.find()) {
      changes.add(
          new CategoryChange(
              m.group(1),
              Long.parseLong(m.group(2)),
              m.group(3) == null ? 0 : Long.parseLong(m.group(3))));
    }
    if (changes.isEmpty()) {
      throw new IllegalStateException(
          "no native memory categories in jcmd's answer: " + diff.strip());
    }
    changes.sort((a, b) -> Long.compare(b.changeKb(), a.changeKb()));
    return changes;
  }

  /** Used Java heap in KB from {@code jcmd <pid> GC.heap_info}, summed over generations. */
  static long parseHeapUsedKb(String heapInfo) {
    Matcher used = HEAP_USED.matcher(heapInfo);
    long kb = 0;
    boolean found = false;
    while (used.find()) {
      kb += Long.parseLong(used.group(2));
      found = true;
    }
    if (!found) {
      throw new IllegalStateException("no heap usage in jcmd's answer: " + heapInfo.strip());
    }
    return kb;
  }

  /** Sum of a metric's samples (all tags) in a Prometheus text exposition; 0 when absent. */
  static double prometheusSum(String exposition, String metric) {
    double sum = 0;
    for (String line : exposition.split("\n")) {
      if (line.startsWith(metric + "{") || line.startsWith(metric + " ")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).strip());
      }
    }
    return sum;
  }

  /** A least-squares slope in KB per 1,000 micro-batches (≈ bytes per micro-batch). */
  record Slope(double kbPerThousand, double standardError, int samples) {
    /**
     * Flat when even two standard errors above the fit the growth stays under {@code maxKb}; a fit
     * of fewer than three samples has no error and proves nothing.
     */
    boolean flatUnder(double maxKb) {
      return upperBound() <= maxKb;
    }

    double upperBound() {
      return kbPerThousand + 2 * standardError;
    }
  }

  /**
   * Least-squares slope of a quantity over the second half of the samples (the warm-up's settling
   * left out; at least the last two samples).
   */
  static Slope slope(List<Sample> samples, ToLongFunction<Sample> kb) {
    SimpleRegression regression = new SimpleRegression();
    for (Sample s : secondHalf(samples)) {
      regression.addData(s.batches() / 1000.0, kb.applyAsLong(s));
    }
    return new Slope(regression.getSlope(), regression.getSlopeStdErr(), (int) regression.getN());
  }

  private static List<Sample> secondHalf(List<Sample> samples) {
    int from = Math.min(samples.size() / 2, Math.max(0, samples.size() - 2));
    return samples.subList(from, samples.size());
  }

  @Override
  public Integer call() throws Exception {
    if (batches < 1 || sampleEvery < 1 || batchSize < 1) {
      throw new IllegalArgumentException("--batches, --sample-every and --batch-size must be >= 1");
    }
    BenchImages.deleteTree(out);
    Path root = Files.createDirectories(out.resolve("dataset"));
    int jobImages = Math.toIntExact((long) sampleEvery * batchSize);
    Path dirmap = BenchImages.writeDataset(root, Math.max(jobImages, warmup), size);
    List<Condition> conditions = new ArrayList<>();
    for (double e : eps) {
      conditions.add(Conditions.create(e, 0.5, null, Objective.LOGIT, List.of(), false));
    }
    String modelId = ModelCard.read(model).id();
    Path csv = out.resolve("memory.csv");
    Files.writeString(
        csv,
        "batches,images,seconds,rss_kb,nmt_reserved_kb,nmt_committed_kb,heap_committed_kb,"
            + "heap_used_kb,outside_jvm_kb\n");

    System.err.println("Starting the embedded servers under " + out + " ...");
    try (EmbeddedInfrastructure infra =
        EmbeddedInfrastructure.start(out, Launcher.registryJar(), List.of("*"))) {
      Map<String, String> props = new HashMap<>(infra.connection());
      props.put("aggregator.output.dir", out.toString());
      props.put("uploader.local.dir", out.toString());
      props.put("api.port", "-1");
      int metricsPort = EmbeddedInfrastructure.freePort();
      try (PipelineRun run = new PipelineRun(props, 0);
          WorkerProcess worker =
              WorkerProcess.start(
                  "worker",
                  infra.connectionFile(),
                  Map.of(
                      WorkerConfig.MODEL_CARD,
                      model.toAbsolutePath().normalize().toString(),
                      WorkerConfig.MAX_BATCH_SIZE,
                      String.valueOf(batchSize),
                      "metrics.port",
                      String.valueOf(metricsPort),
                      "metrics.host",
                      "127.0.0.1"),
                  1,
                  workerJvmOptions(heap),
                  out.resolve("worker"))) {
        Jobs jobs = new Jobs(run, worker, dirmap, modelId, conditions);
        Metrics metrics = new Metrics(worker, metricsPort);
        System.out.printf(
            Locale.ROOT,
            "Model %s, generated %d px JPEGs, eps %s (L2 logit ascent) + PNG outputs, batch size %d, "
                + "worker pid %d (1 libtorch thread, %s%s), %d CPU cores, load average %.2f%n",
            modelId,
            size,
            eps,
            batchSize,
            worker.pid(),
            "auto".equals(heap) ? "-Xmx2g" : "heap fixed at " + heap,
            fullGc ? ", a full GC before each sample" : "",
            Runtime.getRuntime().availableProcessors(),
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        if (warmup > 0) {
          jobs.run("memory-warmup", warmup);
        }
        long batchesBefore = metrics.batches();
        long t0 = System.nanoTime();
        List<Sample> samples = new ArrayList<>();
        System.out.printf(
            Locale.ROOT,
            "%n%9s %9s %9s %9s %14s %15s %13s %15s%n",
            "batches",
            "images",
            "seconds",
            "RSS MB",
            "NMT commit MB",
            "heap commit MB",
            fullGc ? "live heap MB" : "heap used MB",
            "outside JVM MB");
        long images = 0;
        long done = 0;
        int round = 0;
        while (true) {
          Sample sample = sample(worker, fullGc, done, images, (System.nanoTime() - t0) / 1e9);
          samples.add(sample);
          if (samples.size() == 1) {
            // What each NMT category commits is compared with this at the end.
            jcmd(worker.pid(), "VM.native_memory", "baseline");
          }
          print(sample);
          Files.writeString(csv, csvLine(sample), StandardOpenOption.APPEND);
          if (done >= batches) {
            break;
          }
          long rows = Math.min(jobImages, (batches - done) * batchSize);
          jobs.run("memory-" + ++round, Math.toIntExact(rows));
          images += rows;
          long counted = metrics.batches() - batchesBefore;
          if (counted <= done) {
            throw new IllegalStateException(
                "the worker counted no micro-batches for a finished job ("
                    + BATCH_COUNT_METRIC
                    + " missing from its metrics?)");
          }
          done = counted;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            Locale.ROOT,
            "%n%d micro-batches (%d images) in %.0f s: %.1f micro-batches/s; load average %.2f%n",
            done,
            images,
            seconds,
            done / seconds,
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        categories(
            parseNativeMemoryDiff(jcmd(worker.pid(), "VM.native_memory", "summary.diff")),
            samples.get(samples.size() - 1).batches());
        verdict(samples);
        System.out.println("Samples: " + csv);
      }
    }
    return 0;
  }

  /**
   * Native memory tracking, and a pre-touched heap: committed is resident, so RSS - NMT committed
   * is not heap pages the collector has not touched yet; a fixed heap unless {@code auto}.
   */
  static List<String> workerJvmOptions(String heap) {
    List<String> options =
        new ArrayList<>(List.of("-XX:NativeMemoryTracking=summary", "-XX:+AlwaysPreTouch"));
    if (!"auto".equals(heap)) {
      if (!heap.matches("\\d+[kKmMgG]?")) {
        throw new IllegalArgumentException(
            "--heap " + heap + ": expected a size like 256m, or auto");
      }
      options.add("-Xms" + heap);
      options.add("-Xmx" + heap); // after WorkerProcess's -Xmx2g, so this one counts
    }
    return options;
  }

  /** Submits jobs to the pipeline and waits for them, the worker process watched. */
  private final class Jobs {
    private final PipelineRun run;
    private final WorkerProcess worker;
    private final Path dirmap;
    private final String modelId;
    private final List<Condition> conditions;

    Jobs(
        PipelineRun run,
        WorkerProcess worker,
        Path dirmap,
        String modelId,
        List<Condition> conditions) {
      this.run = run;
      this.worker = worker;
      this.dirmap = dirmap;
      this.modelId = modelId;
      this.conditions = conditions;
    }

    /**
     * One job of the dataset's first {@code rows} images; a new dataset name each time, since a
     * resubmitted identical job counts as finished.
     */
    void run(String dataset, int rows) throws Exception {
      Path csv = BenchImages.firstRows(dirmap, rows, "dirmap-" + dataset);
      IngestReport report =
          run.submit(
              new JobRequest(
                  csv, dataset, modelId, "class_num", true, conditions, ImageFormat.PNG, null),
              n -> {});
      long[] lastPrint = {System.nanoTime()};
      JobProgress progress =
          run.awaitCompletion(
              report.jobId(),
              Duration.ofHours(1),
              (completed, failed) -> {
                worker.requireAlive();
                if (System.nanoTime() - lastPrint[0] > 30_000_000_000L) {
                  lastPrint[0] = System.nanoTime();
                  System.err.printf(
                      Locale.ROOT,
                      "  %s: %d/%d images done, %d failed; worker RSS %.0f MB%n",
                      dataset,
                      completed,
                      rows,
                      failed,
                      worker.residentKb() / 1024.0);
                }
              });
      worker.requireAlive();
      if (progress.getFailed() > 0) {
        throw new IllegalStateException(
            dataset
                + ": "
                + progress.getFailed()
                + " of "
                + rows
                + " images failed, so not every micro-batch ran the whole path; worker: "
                + worker.tail());
      }
    }
  }

  /** The worker's own counters, from its Prometheus endpoint. */
  private static final class Metrics {
    private final WorkerProcess worker;
    private final URI uri;
    private final HttpClient http =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Metrics(WorkerProcess worker, int port) {
      this.worker = worker;
      this.uri = URI.create("http://127.0.0.1:" + port + "/metrics");
    }

    long batches() throws IOException, InterruptedException {
      worker.requireAlive();
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(uri + " answered " + response.statusCode());
      }
      return Math.round(prometheusSum(response.body(), BATCH_COUNT_METRIC));
    }
  }

  private static Sample sample(
      WorkerProcess worker, boolean fullGc, long batches, long images, double seconds)
      throws IOException, InterruptedException {
    worker.requireAlive();
    if (fullGc) {
      jcmd(worker.pid(), "GC.run");
    }
    long rss = worker.residentKb();
    NativeMemory nmt = parseNativeMemory(jcmd(worker.pid(), "VM.native_memory", "summary"));
    long heapUsed = parseHeapUsedKb(jcmd(worker.pid(), "GC.heap_info"));
    return new Sample(
        batches,
        images,
        seconds,
        rss,
        nmt.reservedKb(),
        nmt.committedKb(),
        nmt.heapCommittedKb(),
        heapUsed);
  }

  /** Runs the JDK's jcmd against the worker and returns what it printed. */
  private static String jcmd(long pid, String... command) throws IOException, InterruptedException {
    Path bundled = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    List<String> args = new ArrayList<>();
    args.add(Files.isExecutable(bundled) ? bundled.toString() : "jcmd");
    args.add(String.valueOf(pid));
    args.addAll(List.of(command));
    Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("jcmd " + String.join(" ", command) + " did not answer");
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(
          "jcmd " + String.join(" ", command) + " failed: " + output.strip());
    }
    return output;
  }

  private static void print(Sample s) {
    System.out.printf(
        Locale.ROOT,
        "%9d %9d %9.0f %9.1f %14.1f %15.1f %13.1f %15.1f%n",
        s.batches(),
        s.images(),
        s.seconds(),
        s.rssKb() / 1024.0,
        s.nmtCommittedKb() / 1024.0,
        s.heapCommittedKb() / 1024.0,
        s.heapUsedKb() / 1024.0,
        s.outsideJvmKb() / 1024.0);
  }

  static String csvLine(Sample s) {
    return String.format(
        Locale.ROOT,
        "%d,%d,%.1f,%d,%d,%d,%d,%d,%d%n",
        s.batches(),
        s.images(),
        s.seconds(),
        s.rssKb(),
        s.nmtReservedKb(),
        s.nmtCommittedKb(),
        s.heapCommittedKb(),
        s.heapUsedKb(),
        s.outsideJvmKb());
  }

  /** The NMT categories that moved by half a MB or more since the first sample. */
  private static void categories(List<CategoryChange> changes, long batches) {
    System.out.printf(
        Locale.ROOT,
        "%nNMT committed by category, change from batch 0 to %d (0.5 MB or more):%n",
        batches);
    boolean any = false;
    for (CategoryChange c : changes) {
      if (Math.abs(c.changeKb()) >= 512) {
        any = true;
        System.out.printf(
            Locale.ROOT,
            "  %-26s %+7.1f MB   (now %.1f MB)%n",
            c.name(),
            c.changeKb() / 1024.0,
            c.committedKb() / 1024.0);
      }
    }
    if (!any) {
      System.out.println("  none");
    }
  }

  private void verdict(List<Sample> samples) {
    Sample first = samples.get(0);
    Sample last = samples.get(samples.size() - 1);
    List<Sample> half = secondHalf(samples);
    System.out.printf(
        Locale.ROOT,
        "%nGrowth from batch %d to %d; slope: least squares over batches %d-%d (%d samples) "
            + "± its standard error%n",
        first.batches(),
        last.batches(),
        half.get(0).batches(),
        last.batches(),
        half.size());
    Slope rss = growth("worker RSS", samples, Sample::rssKb);
    growth("NMT committed", samples, Sample::nmtCommittedKb);
    growth("Java heap used", samples, Sample::heapUsedKb);
    Slope outside = growth("outside the JVM", samples, Sample::outsideJvmKb);
    boolean flat = rss.flatUnder(flatKb) && outside.flatUnder(flatKb);
    System.out.printf(
        Locale.ROOT,
        "Verdict: %s — worker RSS %+.1f MB over %d micro-batches, slope %s KB per 1,000 batches; "
            + "outside the JVM %+.1f MB, slope %s KB per 1,000 batches; %s%n",
        flat ? "FLAT" : "NOT SHOWN FLAT",
        (last.rssKb() - first.rssKb()) / 1024.0,
        last.batches() - first.batches(),
        format(rss),
        (last.outsideJvmKb() - first.outsideJvmKb()) / 1024.0,
        format(outside),
        flat
            ? String.format(
                Locale.ROOT,
                "both under %.0f KB per 1,000 batches with two standard errors to spare",
                flatKb)
            : String.format(
                Locale.ROOT,
                "slope + 2 standard errors (%.0f and %.0f) must stay under %.0f "
                    + "(more batches or samples narrow it)",
                rss.upperBound(),
                outside.upperBound(),
                flatKb));
  }

  private static String format(Slope slope) {
    return String.format(Locale.ROOT, "%+.0f ± %.0f", slope.kbPerThousand(), slope.standardError());
  }

  /** Prints one quantity's growth and returns its slope. */
  private static Slope growth(String name, List<Sample> samples, ToLongFunction<Sample> kb) {
    long change = kb.applyAsLong(samples.get(samples.size() - 1)) - kb.applyAsLong(samples.get(0));
    Slope slope = slope(samples, kb);
    System.out.printf(
        Locale.ROOT,
        "  %-16s %+9.1f MB   %16s KB per 1,000 batches%n",
        name,
        change / 1024.0,
        format(slope));
    return slope;
  }
}
