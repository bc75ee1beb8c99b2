package org.lwise.stream.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.StreamSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lwise simulate-participants}: simulated learners for tests, demos and benchmarks. Each
 * session asks the live API for a curriculum, answers every trial correctly with a known
 * probability — a psychometric function of the image's difficulty and the condition's eps — and
 * posts the session's jsPsych data through {@code POST /api/v1/outcomes}, as a real experiment page
 * does. Seeded: the same seed gives the same answers.
 */
@Command(
    name = "simulate-participants",
    mixinStandardHelpOptions = true,
    description =
        "Simulated participants: answer curriculum trials with a known psychometric function and post them to the live API.",
    footer = {
      "",
      "Example (while `lwise run … --serve` is up):",
      "  lwise simulate-participants --dataset fashion-mnist --sessions 20"
    })
public final class SimulateParticipantsCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(
      names = "--api",
      defaultValue = "http://127.0.0.1:8090/api/v1/",
      description = "the live API (default ${DEFAULT-VALUE})")
  String api;

  @Option(names = "--dataset", required = true, description = "dataset to answer")
  String dataset;

  @Option(
      names = "--sessions",
      defaultValue = "10",
      description = "participants (default ${DEFAULT-VALUE})")
  int sessions;

  @Option(
      names = "--per-class",
      defaultValue = "2",
      description = "images per class and block (default ${DEFAULT-VALUE})")
  int perClass;

  @Option(
      names = "--easiest",
      defaultValue = "1",
      description = "the blocks' easiest fractions, comma-separated (default ${DEFAULT-VALUE})")
  String easiest;

  @Option(
      names = "--condition",
      defaultValue = "natural",
      description = "the blocks' conditions, comma-separated (default ${DEFAULT-VALUE})")
  String condition;

  @Option(
      names = "--intercept",
      defaultValue = "3",
      description = "psychometric a (default ${DEFAULT-VALUE})")
  double intercept;

  @Option(
      names = "--slope",
      defaultValue = "6",
      description =
          "psychometric b: how much harder difficulty 1 is than 0 (default ${DEFAULT-VALUE})")
  double slope;

  @Option(
      names = "--eps-gain",
      defaultValue = "0.5",
      description =
          "psychometric g: added per unit of the condition's eps (default ${DEFAULT-VALUE})")
  double epsGain;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "random seed (default ${DEFAULT-VALUE})")
  long seed;

  @Option(
      names = "--token",
      description =
          "bearer token, when the API requires one (api.outcomes.token); default: $LWISE_API_OUTCOMES_TOKEN")
  String token = System.getenv("LWISE_API_OUTCOMES_TOKEN");

  /**
   * The planted psychometric function: P(correct) = chance + (1 − chance) · σ(a + g·eps −
   * b·difficulty), with chance = 1 / classes.
   */
  public record Psychometric(double intercept, double slope, double epsGain, int classes) {
    public double probability(double difficulty, double eps) {
      double chance = 1.0 / classes;
      return chance
          + (1 - chance) / (1 + Math.exp(-(intercept + epsGain * eps - slope * difficulty)));
    }
  }

  @Override
  public Integer call() throws Exception {
    String base = api.endsWith("/") ? api : api + "/";
    HttpClient http = HttpClient.newHttpClient();
    JsonNode info = get(http, base + "datasets/" + encode(dataset));
    List<String> classes = texts(info.get("classes"));
    Psychometric psychometric = new Psychometric(intercept, slope, epsGain, classes.size());
    long posted = 0;
    long correct = 0;
    for (int s = 0; s < sessions; s++) {
      Random random = new Random(seed * 1_000_003L + s);
      String session = "sim-" + seed + "-" + s;
      JsonNode curriculum =
          get(
              http,
              base
                  + "datasets/"
                  + encode(dataset)
                  + "/curriculum?split=train&per_class="
                  + perClass
                  + "&easiest="
                  + encode(easiest)
                  + "&condition="
                  + encode(condition)
                  + "&seed="
                  + (seed * 7919 + s));
      ObjectNode body = JSON.createObjectNode();
      body.put("session_id", session);
      ArrayNode trials = body.putArray("trials");
      // jsPsych records every trial, instructions included: those carry no trial_outcome.
      trials.addObject().put("trial_type", "instructions").put("trial_index", 0).put("rt", 1200);
      int trialIndex = 1;
      for (JsonNode block : curriculum.get("blocks")) {
        double eps = epsOf(info, block.get("condition").asText());
        for (JsonNode image : block.get("images")) {
          int right = classes.indexOf(image.get("class").asText());
          boolean answerRight =
              random.nextDouble()
                  < psychometric.probability(image.get("difficulty").asDouble(), eps);
          int choice = answerRight ? right : otherThan(right, classes.size(), random);
          ObjectNode trial = trials.addObject();
          trial.put("trial_type", "html-button-response");
          trial.put("trial_index", trialIndex++);
          double rt = 600 + random.nextDouble() * 900;
          trial.put("rt", rt);
          ObjectNode outcome = trial.putObject("trial_outcome");
          outcome.put("stimulus_image_url", image.get("url").asText());
          outcome.put("class", image.get("class").asText());
          outcome.put("i_choice", choice);
          outcome.put("i_correct_choice", right);
          outcome.put("perf", answerRight ? 1 : 0);
          outcome.put("reaction_time_msec", rt);
          outcome.put("block", block.get("block").asInt());
          outcome.put("trial_type", "train");
          outcome.put("condition_idx", 0);
          correct += answerRight ? 1 : 0;
        }
      }
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(base + "outcomes"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
      if (token != null && !token.isBlank()) {
        request.header("Authorization", "Bearer " + token);
      }
      HttpResponse<String> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(
            "POST outcomes answered " + response.statusCode() + ": " + response.body());
      }
      posted += JSON.readTree(response.body()).get("accepted").asLong();
    }
    PrintStream out = System.out;
    out.printf(
        "%d sessions posted %d answers to %s (%.0f%% correct)%n",
        sessions, posted, dataset, 100.0 * correct / Math.max(posted, 1));
    return 0;
  }

  private static double epsOf(JsonNode info, String condition) {
    for (JsonNode c : info.get("conditions")) {
      if (c.get("id").asText().equals(condition)) {
        return c.get("eps").asDouble();
      }
    }
    return 0;
  }

  private static int otherThan(int right, int classes, Random random) {
    int choice = random.nextInt(classes - 1);
    return choice >= right ? choice + 1 : choice;
  }

  private static JsonNode get(HttpClient http, String url)
      throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          url + " answered " + response.statusCode() + ": " + response.body());
    }
    return JSON.readTree(response.body());
  }

  private static List<String> texts(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }
}
