package org.lwise.stream.aggregator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.ContentType;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.staticfiles.Location;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.imageio.ImageIO;

/**
 * A fixed, in-memory stand-in for the aggregator's experiment API (issue 9's contract: {@code GET
 * /api/v1/datasets}, {@code /datasets/{d}/curriculum}, the {@code /events} stream, JSON errors)
 * plus the bucket its image URLs point at, so the demo page can be tested in a browser without a
 * pipeline. With {@code servePage}, it also serves the built page from the classpath under {@code
 * /experiment/}, as the real server does; with {@code cors}, any origin may call it.
 */
final class FakeExperimentApi implements AutoCloseable {

  static final String DATASET = "fashion-mnist";
  static final String JOB = "fashion-mnist-3f2a";
  static final List<String> CLASSES = List.of("Ankle boot", "Bag", "T-shirt/top");
  static final int ROWS_PER_CLASS = 6;

  /** The most images per class a block may ask for; more is answered with a 400. */
  static final int MAX_PER_CLASS = 10;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Javalin app;
  private final List<SseClient> clients = new CopyOnWriteArrayList<>();
  private final List<Map<String, String>> curriculumRequests = new CopyOnWriteArrayList<>();
  private final List<JsonNode> postedOutcomes = new CopyOnWriteArrayList<>();

  private FakeExperimentApi(boolean servePage, boolean cors) {
    app =
        Javalin.create(
            config -> {
              if (servePage) {
                // The built page, from classpath folder /experiment, at /experiment/.
                config.staticFiles.add(
                    files -> {
                      files.hostedPath = "/experiment";
                      files.directory = "/experiment";
                      files.location = Location.CLASSPATH;
                    });
              }
              if (cors) {
                config.bundledPlugins.enableCors(c -> c.addRule(rule -> rule.anyHost()));
              }
              config.routes.get("/api/v1/datasets", ctx -> json(ctx, 200, datasets()));
              config.routes.get("/api/v1/datasets/{dataset}/curriculum", this::curriculum);
              config.routes.sse(
                  "/api/v1/events",
                  client -> {
                    client.keepAlive();
                    client.onClose(() -> clients.remove(client));
                    clients.add(client);
                  });
              // Not in the API yet (a later issue adds it): recorded, then answered as today, 404.
              config.routes.post(
                  "/api/v1/outcomes",
                  ctx -> {
                    postedOutcomes.add(JSON.readTree(ctx.body()));
                    error(ctx, 404, "no route POST /api/v1/outcomes");
                  });
              config.routes.get("/bucket/{condition}/{file}", FakeExperimentApi::png);
            });
  }

  static FakeExperimentApi start(boolean servePage, boolean cors) {
    FakeExperimentApi api = new FakeExperimentApi(servePage, cors);
    api.app.start("127.0.0.1", 0);
    return api;
  }

  String baseUrl() {
    return "http://127.0.0.1:" + app.port();
  }

  /** The query parameters of every curriculum request so far. */
  List<Map<String, String>> curriculumRequests() {
    return List.copyOf(curriculumRequests);
  }

  /** The bodies the page posted to {@code /api/v1/outcomes}. */
  List<JsonNode> postedOutcomes() {
    return List.copyOf(postedOutcomes);
  }

  int eventClients() {
    return clients.size();
  }

  /**
   * Sends one {@code image} event (an IMAGE with {@code url} = its natural URL) to every client.
   */
  void pushImage(Map<String, Object> image) throws JsonProcessingException {
    String data = JSON.writeValueAsString(image);
    for (SseClient client : clients) client.sendEvent("image", data);
  }

  // Listed out of eps order on purpose: the page must order the enhanced ones itself.
  static List<Map<String, Object>> conditions() {
    return List.of(
        Map.of("id", "natural", "eps", 0),
        condition("2_0.5_4_logit", 2.0, 4),
        condition("4_0.5_8_logit", 4.0, 8),
        condition("1_0.5_2_logit", 1.0, 2));
  }

  private static Map<String, Object> condition(String id, double eps, int steps) {
    return ordered(
        "id", id, "eps", eps, "step_size", 0.5, "num_steps", steps, "objective", "logit");
  }

  /** Row r of class c: its difficulty is scrambled so that only sorting puts it in order. */
  static double difficulty(int classIndex, int r) {
    return ((r * 37 + classIndex * 11) % 100) / 100.0;
  }

  static int rowIndex(int classIndex, int r) {
    return classIndex * ROWS_PER_CLASS + r;
  }

  /** An IMAGE as the API returns it, with {@code url} under {@code condition}. */
  Map<String, Object> image(
      int rowIndex, String cls, double difficulty, String split, String condition, String job) {
    Map<String, String> urls = new LinkedHashMap<>();
    for (Map<String, Object> c : conditions()) {
      String id = (String) c.get("id");
      urls.put(id, baseUrl() + "/bucket/" + id + "/" + rowIndex + ".png");
    }
    String path =
        "images/" + cls.toLowerCase().replaceAll("[^a-z]+", "-") + "/" + rowIndex + ".png";
    Map<String, Object> image = new LinkedHashMap<>();
    image.put("split", split);
    image.put("class", cls);
    image.put("class_num", CLASSES.indexOf(cls));
    image.put("im_path", path);
    image.put("orig_im_path", path);
    image.put("robust_gt_logit", 5 - 4 * difficulty);
    image.put("difficulty", difficulty);
    image.put("url", urls.get(condition));
    image.put("job_id", job);
    image.put("row_index", rowIndex);
    image.put("incoming", !job.equals(JOB));
    image.put("urls", urls);
    return image;
  }

  private Map<String, Object> datasets() {
    int rows = CLASSES.size() * ROWS_PER_CLASS;
    return Map.of(
        "datasets",
        List.of(
            ordered(
                "dataset",
                DATASET,
                "job_id",
                JOB,
                "model_id",
                "fashion-cnn-robust",
                "complete",
                true,
                "rows",
                rows,
                "scored",
                rows,
                "failed",
                0,
                "classes",
                CLASSES,
                "conditions",
                conditions(),
                "watch_jobs",
                List.of(JOB + "~watch-x1"))));
  }

  private void curriculum(Context ctx) throws IOException {
    Map<String, String> query = new LinkedHashMap<>();
    ctx.queryParamMap().forEach((k, v) -> query.put(k, String.join(",", v)));
    curriculumRequests.add(query);
    String dataset = ctx.pathParam("dataset");
    if (!dataset.equals(DATASET)) {
      error(ctx, 404, "dataset '" + dataset + "' not found");
      return;
    }
    int perClass = Integer.parseInt(query.getOrDefault("per_class", "1"));
    if (perClass < 1 || perClass > MAX_PER_CLASS) {
      error(ctx, 400, "per_class must be between 1 and " + MAX_PER_CLASS + ", not " + perClass);
      return;
    }
    List<String> easiest = Arrays.asList(query.getOrDefault("easiest", "1").split(","));
    List<String> conditions = Arrays.asList(query.getOrDefault("condition", "natural").split(","));
    if (conditions.size() == 1) conditions = Collections.nCopies(easiest.size(), conditions.get(0));
    if (conditions.size() != easiest.size()) {
      error(ctx, 400, "easiest and condition must list as many blocks");
      return;
    }
    long seed = Long.parseLong(query.getOrDefault("seed", "0"));
    List<Map<String, Object>> blocks = new ArrayList<>();
    for (int k = 0; k < easiest.size(); k++) {
      double fraction = Double.parseDouble(easiest.get(k));
      String condition = conditions.get(k);
      List<Map<String, Object>> images = new ArrayList<>();
      // Per class (in CLASSES order): perClass rows drawn from the easiest fraction, easiest first.
      for (int c = 0; c < CLASSES.size(); c++) {
        final int ci = c;
        List<Integer> byDifficulty = new ArrayList<>();
        for (int r = 0; r < ROWS_PER_CLASS; r++) byDifficulty.add(r);
        byDifficulty.sort(Comparator.comparingDouble(r -> difficulty(ci, r)));
        int pool =
            Math.min(
                ROWS_PER_CLASS, Math.max(perClass, (int) Math.ceil(fraction * ROWS_PER_CLASS)));
        List<Integer> drawn = new ArrayList<>(byDifficulty.subList(0, pool));
        Collections.shuffle(drawn, new Random(seed * 31 + k * 7L + c));
        drawn = new ArrayList<>(drawn.subList(0, Math.min(perClass, drawn.size())));
        drawn.sort(Comparator.comparingDouble(r -> difficulty(ci, r)));
        for (int r : drawn) {
          images.add(
              image(rowIndex(c, r), CLASSES.get(c), difficulty(c, r), "train", condition, JOB));
        }
      }
      blocks.add(
          ordered("block", k, "easiest", fraction, "condition", condition, "images", images));
    }
    json(
        ctx,
        200,
        ordered(
            "dataset",
            DATASET,
            "job_id",
            JOB,
            "split",
            "train",
            "seed",
            seed,
            "per_class",
            perClass,
            "classes",
            CLASSES,
            "blocks",
            blocks));
  }

  private static void png(Context ctx) throws IOException {
    // A flat grey square per row: enough for the browser to load and show.
    int row = Integer.parseInt(ctx.pathParam("file").replace(".png", ""));
    BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    int grey = 40 + (row * 23) % 200;
    for (int y = 0; y < 28; y++)
      for (int x = 0; x < 28; x++) image.getRaster().setSample(x, y, 0, grey);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    ctx.contentType(ContentType.IMAGE_PNG).result(out.toByteArray());
  }

  private static void error(Context ctx, int status, String message) throws IOException {
    json(ctx, status, ordered("error", message, "status", status));
  }

  private static void json(Context ctx, int status, Object body) throws IOException {
    ctx.status(status)
        .contentType(ContentType.APPLICATION_JSON)
        .result(JSON.writeValueAsString(body));
  }

  private static Map<String, Object> ordered(Object... keyValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) map.put((String) keyValues[i], keyValues[i + 1]);
    return map;
  }

  @Override
  public void close() {
    for (SseClient client : clients) client.close();
    app.stop();
  }
}
