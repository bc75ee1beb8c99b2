package org.lwise.stream.launcher;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.lwise.stream.common.ConnectionConfig;
import org.lwise.stream.common.Digests;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.ObjectStore;
import org.lwise.stream.common.S3Layout;
import org.lwise.stream.uploader.UploaderApp;
import org.lwise.stream.uploader.UploaderConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * {@code lwise bench-upload}: objects/s into the embedded S3 store (S3Proxy, filesystem backend)
 * for output-sized objects, at several upload concurrencies side by side. Only S3Proxy runs (no
 * broker, no registry), in this JVM, and every PUT goes through the uploader's own client and
 * request ({@link UploaderApp#s3Client}, {@link UploaderApp#objectStore}: same connection pool
 * size, ACL, content type, SHA-256 metadata, bucket-per-condition layout), so the figures are the
 * uploader's ceiling against the local store, without Kafka. Each round keeps {@code concurrency}
 * PUTs in flight with a fresh client of that many connections (an uploader with {@code
 * uploader.concurrency} set so), and reads each thread's CPU time (ThreadMXBean) before and after:
 * the S3 client's threads (AWS SDK, Netty) and the store's (S3Proxy's Jetty) apart.
 */
@Command(
    name = "bench-upload",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark: objects/s, MB/s, PUT latency and CPU per object (S3 client vs S3 store) "
            + "uploading to the embedded S3 store with the uploader's client, per object size and concurrency.",
    footer = {
      "%nExamples:",
      "  lwise bench-upload",
      "  lwise bench-upload --sizes 50,500 --count 2000,300 --concurrency 1,8,32,128 --warmup 200"
    })
public final class UploadBenchCommand implements Callable<Integer> {
  /** What the worker's encoder gives PNG outputs, and so what the uploader sends. */
  private static final String CONTENT_TYPE = "image/png";

  /** Distinct payloads per size, reused in turn (objects differ by key; no store deduplicates). */
  private static final int PAYLOADS = 64;

  @Option(
      names = "--sizes",
      split = ",",
      defaultValue = "50,500",
      description = "object sizes in KB of 1024 bytes (default ${DEFAULT-VALUE})")
  List<Integer> sizesKb;

  @Option(
      names = "--count",
      split = ",",
      defaultValue = "2000,300",
      description =
          "objects per measured round: one value for every size, or one per size "
              + "(default ${DEFAULT-VALUE})")
  List<Integer> counts;

  @Option(
      names = "--concurrency",
      split = ",",
      defaultValue = "1," + UploaderConfig.DEFAULT_CONCURRENCY + ",128",
      description =
          "PUTs in flight (uploader.concurrency, whose default is "
              + UploaderConfig.DEFAULT_CONCURRENCY
              + "), one round each (default ${DEFAULT-VALUE})")
  List<Integer> concurrencies;

  @Option(
      names = "--warmup",
      defaultValue = "200",
      description =
          "unmeasured objects before each round, same size and client (default ${DEFAULT-VALUE})")
  int warmup;

  @Option(
      names = "--threads",
      description = "also list each round's busiest threads by name (to check the grouping)")
  boolean listThreads;

  @Option(
      names = "--out",
      defaultValue = "lwise-bench-upload",
      description =
          "scratch folder, emptied first; objects under <out>/s3 (default ${DEFAULT-VALUE})")
  Path out;

  /** One measured round: a size at a concurrency. */
  private record Result(
      int sizeKb,
      int concurrency,
      int objects,
      double seconds,
      long[] latencyNanos,
      long callerCpuNanos,
      long clientCpuNanos,
      long storeCpuNanos,
      long processCpuNanos,
      String bucket) {}

  @Override
  public Integer call() throws Exception {
    if (counts.size() != 1 && counts.size() != sizesKb.size()) {
      throw new IllegalArgumentException(
          "--count: one value, or one per size (" + sizesKb.size() + "), not " + counts);
    }
    if (sizesKb.stream().anyMatch(s -> s <= 0) || counts.stream().anyMatch(c -> c <= 0)) {
      throw new IllegalArgumentException("--sizes and --count must be positive");
    }
    if (warmup < 0) {
      throw new IllegalArgumentException("--warmup must be 0 or more");
    }
    BenchImages.deleteTree(out);
    Path s3Dir = out.resolve("s3");
    EmbeddedLogs.routeTo(out.resolve(".embedded"));
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    double loadBefore = os.getSystemLoadAverage();
    long rssBefore = PipelineBenchCommand.residentKb();
    List<Result> results = new ArrayList<>();
    try (EmbeddedS3 s3 =
        EmbeddedS3.start(
            s3Dir, EmbeddedInfrastructure.freePort(), List.of(EmbeddedS3.ANY_ORIGIN))) {
      UploaderConfig defaults = config(s3.endpoint(), UploaderConfig.DEFAULT_CONCURRENCY);
      System.out.printf(
          Locale.ROOT,
          "S3Proxy (filesystem backend) at %s, objects under %s; the uploader's client "
              + "(AWS SDK async, Netty; ACL %s, HEAD first %s); incompressible payloads%n"
              + "%d CPU cores, Java %s, load average %.2f before%n",
          s3.endpoint(),
          s3Dir,
          defaults.connection().s3PublicRead() ? "public-read" : "none",
          defaults.checkExisting() ? "yes" : "no",
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.version"),
          loadBefore);
      System.out.printf(
          Locale.ROOT,
          "%7s %5s %8s %8s %10s %8s %8s %8s %10s %10s %10s %10s %11s%n",
          "size KB",
          "conc",
          "objects",
          "seconds",
          "objects/s",
          "MB/s",
          "p50 ms",
          "p99 ms",
          "CPU caller",
          "CPU client",
          "CPU store",
          "CPU total",
          "disk B/obj");
      for (int s = 0; s < sizesKb.size(); s++) {
        int sizeKb = sizesKb.get(s);
        int count = counts.get(counts.size() == 1 ? 0 : s);
        Payloads payloads =
            Payloads.random(sizeKb * 1024, Math.min(PAYLOADS, count + warmup), sizeKb);
        for (int concurrency : concurrencies) {
          Result result = round(s3.endpoint(), sizeKb, concurrency, count, payloads);
          results.add(result);
          print(result, diskBytesPerObject(s3Dir.resolve(result.bucket()), count + warmup));
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "MB = 1024 KB. CPU in ms per object: caller = the thread starting the PUTs (the uploader's "
            + "loop: request marshalling, signing), client = AWS SDK and Netty threads, "
            + "store = S3Proxy's Jetty threads, total = this whole JVM (GC and JIT too)%n"
            + "load average %.2f before, %.2f after; resident set of this JVM %d MB before, %d MB after%n",
        loadBefore,
        os.getSystemLoadAverage(),
        rssBefore / 1024,
        PipelineBenchCommand.residentKb() / 1024);
    return 0;
  }

  /**
   * An uploader's settings against the embedded store, as {@code lwise run} gives them; the broker
   * and registry addresses are required settings but nothing here connects to them.
   */
  static UploaderConfig config(String endpoint, int concurrency) {
    Map<String, String> props = new HashMap<>();
    props.put(ConnectionConfig.BOOTSTRAP_SERVERS, "127.0.0.1:9"); // unused: no Kafka here
    props.put(ConnectionConfig.REGISTRY_URL, "http://127.0.0.1:9"); // unused: no registry here
    props.put(ConnectionConfig.S3_ENDPOINT, endpoint);
    props.put(ConnectionConfig.S3_PATH_STYLE, "true");
    props.put(ConnectionConfig.S3_URL_TEMPLATE, endpoint + "/{bucket}/{key}");
    props.put(UploaderConfig.CONCURRENCY, String.valueOf(concurrency));
    return UploaderConfig.from(props);
  }

  /**
   * Seeded random bytes: incompressible, like PNG outputs (deflate leaves little to gain), so
   * nothing on the way can shrink them.
   */
  record Payloads(byte[][] bytes, String[] sha256) {
    static Payloads random(int size, int distinct, long seed) {
      Random random = new Random(seed);
      byte[][] bytes = new byte[distinct][size];
      String[] sha256 = new String[distinct];
      for (int i = 0; i < distinct; i++) {
        random.nextBytes(bytes[i]);
        sha256[i] = Digests.sha256(bytes[i]); // the worker's digest, which the uploader sends along
      }
      return new Payloads(bytes, sha256);
    }
  }

  private Result round(String endpoint, int sizeKb, int concurrency, int count, Payloads payloads)
      throws InterruptedException {
    UploaderConfig config = config(endpoint, concurrency);
    S3Layout layout = config.connection().s3Layout();
    // One bucket per round, as the uploader has one per condition: no key is written twice.
    String condition = sizeKb + "kb-c" + concurrency;
    String bucket = layout.bucket("bench", condition);
    try (S3AsyncClient s3 = UploaderApp.s3Client(config)) {
      ObjectStore store = UploaderApp.objectStore(config, s3);
      // Also creates the round's bucket, which the uploader does once per condition.
      put(store, layout, bucket, condition, "warmup/img-", warmup, concurrency, payloads, 0);
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      OperatingSystemMXBean os =
          (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      Map<Long, String> names = new HashMap<>();
      Map<Long, Long> before = PipelineBenchCommand.threadCpu(threads, names);
      long processBefore = os.getProcessCpuTime();
      long callerBefore = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      long[] latencies =
          put(store, layout, bucket, condition, "img-", count, concurrency, payloads, warmup);
      double seconds = (System.nanoTime() - t0) / 1e9;
      long callerCpu = threads.getCurrentThreadCpuTime() - callerBefore;
      long processCpu = os.getProcessCpuTime() - processBefore;
      Map<Long, Long> after = PipelineBenchCommand.threadCpu(threads, names);
      if (listThreads) {
        listBusiest(before, after, names);
      }
      return new Result(
          sizeKb,
          concurrency,
          count,
          seconds,
          latencies,
          callerCpu,
          cpu(before, after, names, PipelineBenchCommand.S3_CLIENT_THREADS),
          cpu(before, after, names, PipelineBenchCommand.S3_STORE_THREADS),
          processCpu,
          bucket);
    }
  }

  /**
   * Puts {@code count} objects with {@code concurrency} in flight and returns each PUT's latency.
   * The first failure stops the round: no new PUTs start, those in flight finish, and it is thrown
   * with its key.
   */
  static long[] put(
      ObjectStore store,
      S3Layout layout,
      String bucket,
      String condition,
      String prefix,
      int count,
      int concurrency,
      Payloads payloads,
      int firstPayload)
      throws InterruptedException {
    long[] latencies = new long[count];
    Semaphore inFlight = new Semaphore(concurrency);
    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    for (int i = 0; i < count && failure.get() == null; i++) {
      int p = (firstPayload + i) % payloads.bytes().length;
      String key =
          layout.key("bench", condition, String.format(Locale.ROOT, "%s%05d.png", prefix, i));
      int index = i;
      inFlight.acquire();
      long started = System.nanoTime();
      try {
        store
            .put(bucket, key, payloads.bytes()[p], CONTENT_TYPE, payloads.sha256()[p])
            .whenComplete(
                (written, error) -> {
                  latencies[index] = System.nanoTime() - started;
                  if (error != null) {
                    failure.compareAndSet(null, failed(bucket, key, error));
                  }
                  inFlight.release();
                });
      } catch (RuntimeException e) { // thrown before any future (e.g. a bad request)
        failure.compareAndSet(null, failed(bucket, key, e));
        inFlight.release();
      }
    }
    inFlight.acquire(concurrency); // every PUT has finished
    if (failure.get() != null) {
      throw failure.get();
    }
    return latencies;
  }

  private static RuntimeException failed(String bucket, String key, Throwable error) {
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    return new IllegalStateException(
        "PUT s3://" + bucket + "/" + key + " failed: " + InfrastructureRetry.rootMessage(cause),
        cause);
  }

  /** CPU nanoseconds spent during the round by the threads whose names {@code group} matches. */
  private static long cpu(
      Map<Long, Long> before,
      Map<Long, Long> after,
      Map<Long, String> names,
      Predicate<String> group) {
    long nanos = 0;
    for (Map.Entry<Long, Long> entry : after.entrySet()) {
      if (group.test(names.get(entry.getKey()))) {
        nanos += entry.getValue() - before.getOrDefault(entry.getKey(), 0L);
      }
    }
    return nanos;
  }

  private static void listBusiest(
      Map<Long, Long> before, Map<Long, Long> after, Map<Long, String> names) {
    after.entrySet().stream()
        .map(
            e ->
                Map.entry(
                    names.get(e.getKey()), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
        .filter(e -> e.getValue() > 0)
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .limit(20)
        .forEach(
            e ->
                System.out.printf(
                    Locale.ROOT, "    %8.0f ms  %s%n", e.getValue() / 1e6, e.getKey()));
  }

  /**
   * Bytes of the files in a round's bucket folder per object (S3Proxy's filesystem backend keeps
   * each object as the file {@code <bucket>/<key>}), or -1 when the folder holds another number of
   * files than objects were put.
   */
  private static double diskBytesPerObject(Path bucketDir, int objects) throws IOException {
    long files = 0;
    long bytes = 0;
    try (Stream<Path> paths = Files.walk(bucketDir)) {
      for (Path file : paths.filter(Files::isRegularFile).toList()) {
        files++;
        bytes += Files.size(file);
      }
    }
    if (files != objects) {
      System.out.printf(
          Locale.ROOT, "  %s holds %d files for %d objects put%n", bucketDir, files, objects);
      return -1;
    }
    return (double) bytes / objects;
  }

  private static void print(Result r, double diskBytesPerObject) {
    long[] sorted = r.latencyNanos().clone();
    Arrays.sort(sorted);
    double objects = r.objects();
    System.out.printf(
        Locale.ROOT,
        "%7d %5d %8d %8.2f %10.1f %8.1f %8.2f %8.2f %10.3f %10.3f %10.3f %10.3f %11.0f%n",
        r.sizeKb(),
        r.concurrency(),
        r.objects(),
        r.seconds(),
        objects / r.seconds(),
        objects * r.sizeKb() / 1024.0 / r.seconds(),
        percentile(sorted, 0.50) / 1e6,
        percentile(sorted, 0.99) / 1e6,
        r.callerCpuNanos() / 1e6 / objects,
        r.clientCpuNanos() / 1e6 / objects,
        r.storeCpuNanos() / 1e6 / objects,
        r.processCpuNanos() / 1e6 / objects,
        diskBytesPerObject);
  }

  /** Nearest-rank percentile of sorted values. */
  private static long percentile(long[] sorted, double fraction) {
    int rank = (int) Math.ceil(fraction * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
