package org.lwise.stream.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.ingest.DirmapWatcher;
import org.lwise.stream.ingest.IngestReport;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.Objective;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lwise bench-latency}: how long a newly collected image takes to reach an experiment
 * server. On the embedded default, a reference job is scored, then images are appended to its
 * dirmap in watch mode at a steady rate; for each, the time from its row being appended to its
 * {@code image} event on the API's SSE stream, and to its first appearance in {@code GET images}
 * (polled every 100 ms), is recorded. Prints p50/p95/p99 per rate.
 */
@Command(
    name = "bench-latency",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark: latency from an image appended in watch mode to its score on the live API (SSE and GET), at steady rates.",
    footer = {
      "%nExamples:",
      "  lwise bench-latency",
      "  lwise bench-latency --rates 10,20,50 --seconds 30 --eps 1"
    })
public final class LatencyBenchCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin BenchInputs inputs;

  @Option(
      names = "--rates",
      split = ",",
      defaultValue = "20,50",
      description = "images appended per second")
  List<Double> rates;

  @Option(names = "--seconds", defaultValue = "20", description = "how long each rate is held")
  int seconds;

  @Option(
      names = "--eps",
      split = ",",
      description = "enhancement budgets of the job (default: none, scoring only)")
  List<Double> eps = List.of();

  @Option(
      names = "--watch-interval-ms",
      defaultValue = "100",
      description = "how often watch mode looks for new rows")
  long watchIntervalMs;

  @Option(
      names = "--out",
      defaultValue = "lwise-bench-latency",
      description = "scratch output folder, emptied first")
  Path out;

  @Override
  public Integer call() throws Exception {
    BenchImages.deleteTree(out);
    Path root = Files.createDirectories(out.resolve("dataset"));
    List<String> demo = Files.readAllLines(inputs.dataset.resolve("dirmap.csv"));
    String header = demo.get(0);
    List<String[]> rows = demo.subList(1, demo.size()).stream().map(l -> l.split(",")).toList();
    Path dirmap = root.resolve("dirmap.csv");
    StringBuilder reference = new StringBuilder(header).append('\n');
    for (int i = 0; i < 50; i++) {
      reference.append(copyRow(rows.get(i), i, root, "ref-" + i)).append('\n');
    }
    Files.writeString(dirmap, reference);
    List<Condition> conditions = new ArrayList<>();
    eps.forEach(
        e -> conditions.add(Conditions.create(e, 0.5, null, Objective.LOGIT, List.of(), false)));

    try (BenchPipeline bench =
        BenchPipeline.start(
            out,
            inputs.model,
            Map.of(
                "ingest.watch.interval.ms",
                String.valueOf(watchIntervalMs),
                "worker.max.batch.wait.ms",
                "50"))) {
      PipelineRun run = bench.run();
      String datasetName = "latency";
      IngestReport report = bench.score(bench.request(dirmap, datasetName, conditions, null));
      String api = bench.api();
      DirmapWatcher watcher =
          run.watch(bench.request(dirmap, datasetName, conditions, report.jobId()), null);
      while (watcher.published() == 0) {
        Thread.sleep(20);
      }
      Map<String, Long> appended = new ConcurrentHashMap<>();
      Map<String, Long> onStream = new ConcurrentHashMap<>();
      Map<String, Long> onGet = new ConcurrentHashMap<>();
      // The event stream is read on its own thread and client: a body consumed inside the
      // client's
      // completion stage would block the client's own I/O.
      HttpClient streamClient = HttpClient.newHttpClient();
      HttpResponse<Stream<String>> stream =
          streamClient.send(
              HttpRequest.newBuilder(URI.create(api + "events?dataset=" + datasetName))
                  .header("Accept", "text/event-stream")
                  .build(),
              HttpResponse.BodyHandlers.ofLines());
      Thread reader =
          new Thread(
              () ->
                  stream
                      .body()
                      .forEach(
                          line -> {
                            if (line.startsWith("data:") && line.contains("\"im_path\"")) {
                              long now = System.nanoTime();
                              try {
                                onStream.putIfAbsent(
                                    JSON.readTree(line.substring(5)).get("im_path").asText(), now);
                              } catch (IOException e) {
                                throw new IllegalStateException(e);
                              }
                            }
                          }),
              "latency-events");
      reader.setDaemon(true);
      reader.start();
      HttpClient http = HttpClient.newHttpClient();
      Thread poller =
          new Thread(
              () ->
                  pollImages(http, api + "datasets/" + datasetName + "/images?limit=10000", onGet),
              "latency-poller");
      poller.setDaemon(true);
      poller.start();
      Thread.sleep(1000); // the SSE subscription is in place

      int next = 50;
      System.out.printf(
          "Latency from an appended dirmap row to its score on the API (%s, %d-condition job, "
              + "watch interval %d ms, %d CPU cores)%n",
          inputs.model.getFileName(),
          conditions.size() + 1,
          watchIntervalMs,
          Runtime.getRuntime().availableProcessors());
      System.out.printf(
          "%8s %8s | %27s | %27s%n",
          "rate/s", "images", "SSE event p50 / p95 / p99 ms", "GET images p50 / p95 / p99 ms");
      for (double rate : rates) {
        List<String> batch = new ArrayList<>();
        long periodNanos = (long) (1e9 / rate);
        long start = System.nanoTime();
        int count = (int) Math.round(rate * seconds);
        for (int i = 0; i < count; i++) {
          long due = start + i * periodNanos;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          String[] source = rows.get(next % rows.size());
          String name = "new-" + next;
          String line = copyRow(source, next, root, name);
          appended.put("images/" + name + ".png", System.nanoTime());
          Files.writeString(dirmap, line + "\n", StandardOpenOption.APPEND);
          batch.add("images/" + name + ".png");
          next++;
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!onStream.keySet().containsAll(batch) || !onGet.keySet().containsAll(batch)) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "images appended at " + rate + "/s did not all reach the API within 3 min");
          }
          Thread.sleep(100);
        }
        System.out.printf(
            "%8.0f %8d | %27s | %27s%n",
            rate,
            batch.size(),
            percentiles(batch, appended, onStream),
            percentiles(batch, appended, onGet));
      }
      poller.interrupt();
    }
    return 0;
  }

  /** Copies a demo row's image under a new name and returns its dirmap line. */
  private String copyRow(String[] source, int index, Path root, String name) throws IOException {
    Path image = root.resolve("images/" + name + ".png");
    Files.createDirectories(image.getParent());
    Path tmp = image.resolveSibling(name + ".tmp");
    Files.copy(inputs.dataset.resolve(source[4]), tmp);
    Files.move(tmp, image); // whole before its row is appended
    return index
        + ","
        + source[1]
        + ","
        + source[2]
        + ","
        + source[3]
        + ",images/"
        + name
        + ".png,"
        + source[5]
        + ","
        + source[6];
  }

  private static void pollImages(HttpClient http, String url, Map<String, Long> seen) {
    while (true) {
      try {
        HttpResponse<String> response;
        try {
          response =
              http.send(
                  HttpRequest.newBuilder(URI.create(url)).build(),
                  HttpResponse.BodyHandlers.ofString());
        } catch (IOException refused) {
          System.err.println("poll failed, retrying: " + refused);
          Thread.sleep(100);
          continue;
        }
        long now = System.nanoTime();
        if (response.statusCode() == 200) {
          for (JsonNode image : JSON.readTree(response.body()).get("images")) {
            seen.putIfAbsent(image.get("im_path").asText(), now);
          }
        }
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      } catch (IOException e) {
        throw new IllegalStateException("polling " + url + ": " + e.getMessage(), e);
      }
    }
  }

  private static String percentiles(
      List<String> images, Map<String, Long> appended, Map<String, Long> seen) {
    DescriptiveStatistics ms = new DescriptiveStatistics();
    images.forEach(image -> ms.addValue((seen.get(image) - appended.get(image)) / 1e6));
    return String.format(
        "%7.0f / %7.0f / %7.0f", ms.getPercentile(50), ms.getPercentile(95), ms.getPercentile(99));
  }
}
