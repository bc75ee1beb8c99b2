package org.lwise.stream.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lwise bench-outcomes}: the closed loop's intake. On the embedded default with one
 * aggregator, a scored job, then (1) sessions of answers posted by several clients at once for a
 * while — answers accepted per second; (2) single answers posted one at a time — the delay until
 * the dataset's calibration counts each (polled every 10 ms).
 */
@Command(
    name = "bench-outcomes",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark: participants' answers accepted per second by one aggregator, and the delay until the calibration reflects one.",
    footer = {
      "%nExamples:",
      "  lwise bench-outcomes",
      "  lwise bench-outcomes --clients 8 --trials 200 --seconds 30"
    })
public final class OutcomesBenchCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin BenchInputs inputs;

  @Option(names = "--clients", defaultValue = "4", description = "clients posting at once")
  int clients;

  @Option(names = "--trials", defaultValue = "100", description = "answers per posted session")
  int trialsPerSession;

  @Option(names = "--seconds", defaultValue = "20", description = "how long the clients post")
  int seconds;

  @Option(
      names = "--delays",
      defaultValue = "30",
      description = "single answers timed to the calibration")
  int delays;

  @Option(
      names = "--out",
      defaultValue = "lwise-bench-outcomes",
      description = "scratch output folder")
  Path out;

  @Override
  public Integer call() throws Exception {
    try (BenchPipeline bench = BenchPipeline.start(out, inputs.model, Map.of())) {
      bench.score(
          bench.request(inputs.dataset.resolve("dirmap.csv"), "outcomes-bench", List.of(), null));
      String api = bench.api();
      HttpClient http = HttpClient.newHttpClient();
      List<String> urls = new ArrayList<>();
      BenchPipeline.getJson(http, api + "datasets/outcomes-bench/images?limit=10000")
          .get("images")
          .forEach(image -> urls.add(image.get("url").asText()));

      AtomicLong accepted = new AtomicLong();
      long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      long started = System.nanoTime();
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      List<Future<?>> running = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        int client = c;
        running.add(
            pool.submit(
                () -> {
                  for (int s = 0; System.nanoTime() < deadline; s++) {
                    accepted.addAndGet(
                        post(
                            http, api, session("c" + client + "-" + s, urls, trialsPerSession, s)));
                  }
                  return null;
                }));
      }
      for (Future<?> future : running) {
        future.get();
      }
      pool.shutdown();
      double elapsed = (System.nanoTime() - started) / 1e9;

      DescriptiveStatistics delay = new DescriptiveStatistics();
      for (int i = 0; i < delays; i++) {
        long before =
            BenchPipeline.getJson(http, api + "datasets/outcomes-bench/calibration?min_trials=1")
                .get("trials")
                .asLong();
        long posted = System.nanoTime();
        post(http, api, session("delay-" + i, urls, 1, i));
        while (BenchPipeline.getJson(http, api + "datasets/outcomes-bench/calibration?min_trials=1")
                .get("trials")
                .asLong()
            <= before) {
          Thread.sleep(10);
        }
        delay.addValue((System.nanoTime() - posted) / 1e6);
      }
      System.out.printf(
          "Outcomes intake, one aggregator (%d CPU cores): %d clients × sessions of %d answers for %.0f s%n",
          Runtime.getRuntime().availableProcessors(), clients, trialsPerSession, elapsed);
      System.out.printf(
          "  accepted: %d answers, %.0f answers/s%n", accepted.get(), accepted.get() / elapsed);
      System.out.printf(
          "  POST → calibration reflects it: p50 %.0f ms, p95 %.0f ms, max %.0f ms (%d single answers)%n",
          delay.getPercentile(50), delay.getPercentile(95), delay.getMax(), delays);
    }
    return 0;
  }

  private static ObjectNode session(String id, List<String> urls, int trials, int salt) {
    ObjectNode body = JSON.createObjectNode();
    body.put("session_id", id);
    ArrayNode list = body.putArray("trials");
    for (int t = 0; t < trials; t++) {
      ObjectNode outcome = list.addObject().put("trial_index", t).putObject("trial_outcome");
      outcome.put("stimulus_image_url", urls.get((salt * 31 + t) % urls.size()));
      outcome.put("perf", (salt + t) % 3 == 0 ? 0 : 1);
      outcome.put("reaction_time_msec", 700 + t % 300);
      outcome.put("block", t % 6);
    }
    return body;
  }

  private static long post(HttpClient http, String api, ObjectNode body) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(api + "outcomes"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          "POST outcomes answered " + response.statusCode() + ": " + response.body());
    }
    return JSON.readTree(response.body()).get("accepted").asLong();
  }
}
