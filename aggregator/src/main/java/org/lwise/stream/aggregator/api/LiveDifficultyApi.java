package org.lwise.stream.aggregator.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.lwise.stream.aggregator.DirmapSink;
import org.lwise.stream.aggregator.DirmapTable;
import org.lwise.stream.aggregator.api.DatasetCatalog.DatasetJobs;
import org.lwise.stream.aggregator.api.DatasetCatalog.Image;
import org.lwise.stream.aggregator.api.DatasetCatalog.JobKey;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.HumanTally;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.RowState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live difficulty API: JSON over HTTP (Javalin) on the aggregator's state, for the web servers
 * that run learning experiments, plus server-sent events of newly scored images and the demo
 * experiment under {@code /experiment/}. Read-only. Any aggregator instance answers any request:
 * what another instance holds is asked of it (Kafka Streams interactive queries), lists are
 * gathered from all instances. The paths and their JSON are described in {@code openapi.yaml}
 * (served as {@code /api/v1/openapi.json}).
 */
public final class LiveDifficultyApi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LiveDifficultyApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String BASE = "/api/v1";
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 10_000;

  private final ApiSettings settings;
  private final Javalin server;
  private final byte[] openApi;
  // Set once by attach(), read by Jetty's threads.
  private volatile LocalStores stores;
  private volatile InstanceRouter router;
  private volatile LiveFeed feed;
  private volatile OutcomeIntake intake;
  private volatile ImageIndex index;

  /** Starts serving (requests get 503 until {@link #attach} gives it the running app). */
  public LiveDifficultyApi(ApiSettings settings) {
    this.settings = settings;
    this.openApi = openApiJson();
    Javalin started;
    try {
      started = start(settings.port());
    } catch (RuntimeException e) {
      if (settings.portChosen() || settings.port() == 0) {
        throw new IllegalStateException(
            "the live difficulty API cannot listen on "
                + settings.host()
                + ":"
                + settings.port()
                + " ("
                + rootMessage(e)
                + "); set "
                + ApiSettings.PORT
                + " to a free port, 0 for any, "
                + "or -1 for no API",
            e);
      }
      // The default port is taken (another aggregator on this machine): any free one will do.
      started = start(0);
      log.warn(
          "Port {} is in use; the live difficulty API listens on port {} instead (set {} to choose)",
          settings.port(),
          started.port(),
          ApiSettings.PORT);
    }
    this.server = started;
  }

  private Javalin start(int port) {
    boolean experiment = LiveDifficultyApi.class.getResource("/experiment/index.html") != null;
    Javalin javalin =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              config.jetty.host = settings.host();
              config.jetty.port = port;
              config.http.maxRequestSize = settings.outcomesMaxBytes();
              config.bundledPlugins.enableCors(
                  cors ->
                      cors.addRule(
                          rule -> {
                            if (settings.corsOrigins().contains("*")) {
                              rule.anyHost();
                            } else {
                              settings.corsOrigins().forEach(origin -> rule.allowHost(origin));
                            }
                          }));
              if (experiment) {
                config.staticFiles.add(
                    files -> {
                      files.hostedPath = "/experiment";
                      files.directory = "/experiment";
                      files.location = Location.CLASSPATH;
                    });
                config.routes.get("/", ctx -> ctx.redirect("/experiment/"));
              }
              routes(config.routes);
            });
    try {
      return javalin.start();
    } catch (RuntimeException e) {
      javalin.stop();
      throw e;
    }
  }

  /** The port it listens on (the one chosen when api.port is 0). */
  public int port() {
    return server.port();
  }

  /** The URL of the API's root as this instance advertises it. */
  public String url() {
    return "http://" + settings.advertisedHost() + ":" + port() + BASE + "/";
  }

  /** {@code host:port} for Kafka Streams' {@code application.server}. */
  public String applicationServer() {
    return settings.advertisedHost() + ":" + port();
  }

  /** Connects the API to the aggregator's Kafka Streams app and starts the live feed. */
  public void attach(KafkaStreams streams, String bootstrapServers, PipelineTopics topics) {
    LiveFeed liveFeed =
        new LiveFeed(
            bootstrapServers,
            topics.scoredImages(),
            topics.dirmaps(),
            topics.outcomes(),
            this::calibrationEvent);
    liveFeed.start();
    this.router = new InstanceRouter(streams, new HostInfo(settings.advertisedHost(), port()));
    this.stores = new LocalStores(streams);
    this.index = new ImageIndex(stores);
    this.intake = new OutcomeIntake(bootstrapServers, topics.outcomes());
    this.feed = liveFeed;
  }

  private void routes(RoutesConfig routes) {
    routes.get(BASE, ctx -> json(ctx, index()));
    routes.get(BASE + "/", ctx -> json(ctx, index()));
    routes.get(BASE + "/openapi.json", ctx -> ctx.contentType("application/json").result(openApi));
    routes.get(BASE + "/datasets", ctx -> json(ctx, datasets(ctx)));
    routes.get(BASE + "/jobs", ctx -> json(ctx, jobs(ctx)));
    routes.get(BASE + "/jobs/{jobId}", this::job);
    routes.get(BASE + "/datasets/{dataset}", ctx -> onDataset(ctx, this::dataset));
    routes.get(BASE + "/datasets/{dataset}/images", ctx -> onDataset(ctx, this::images));
    routes.get(BASE + "/datasets/{dataset}/images/<image>", ctx -> onDataset(ctx, this::image));
    routes.get(BASE + "/datasets/{dataset}/curriculum", ctx -> onDataset(ctx, this::curriculum));
    routes.get(BASE + "/datasets/{dataset}/dirmap.csv", ctx -> onDataset(ctx, this::dirmapCsv));
    routes.get(BASE + "/datasets/{dataset}/calibration", ctx -> onDataset(ctx, this::calibration));
    routes.post(BASE + "/outcomes", this::outcomes);
    routes.post(BASE + "/outcomes/resolve", this::resolve);
    routes.sse(
        BASE + "/events",
        client -> {
          String dataset = client.ctx().queryParam("dataset");
          if (feed == null) {
            client
                .ctx()
                .status(503)
                .header("Retry-After", String.valueOf(ApiException.RETRY_AFTER_SECONDS));
            client.close();
            return;
          }
          client.keepAlive();
          feed.subscribe(dataset == null || dataset.isBlank() ? null : dataset, client);
        });
    routes.exception(
        ApiException.class, (error, ctx) -> error(ctx, error.status(), error.getMessage()));
    routes.exception(
        HttpResponseException.class,
        (error, ctx) ->
            error(
                ctx,
                error.getStatus(),
                error.getStatus() == 404
                    ? "no such path: "
                        + ctx.method()
                        + " "
                        + ctx.path()
                        + " (see "
                        + BASE
                        + "/openapi.json)"
                    : error.getMessage()));
    routes.exception(
        Exception.class,
        (error, ctx) -> {
          log.error("API request {} {} failed", ctx.method(), ctx.fullUrl(), error);
          error(
              ctx,
              500,
              "internal error ("
                  + error.getClass().getSimpleName()
                  + "); the aggregator's log has the details");
        });
    routes.error(
        404,
        ctx -> {
          if (!"application/json".equals(ctx.res().getContentType())) {
            error(
                ctx,
                404,
                "no such path: "
                    + ctx.method()
                    + " "
                    + ctx.path()
                    + " (see "
                    + BASE
                    + "/openapi.json)");
          }
        });
  }

  // ---- Endpoints -------------------------------------------------------------------------------

  private ObjectNode index() {
    ObjectNode json = JSON.createObjectNode();
    json.put("service", "L-WISE Stream live difficulty API");
    json.put("openapi", BASE + "/openapi.json");
    ArrayNode paths = json.putArray("paths");
    List.of(
            "/datasets",
            "/datasets/{dataset}",
            "/datasets/{dataset}/images",
            "/datasets/{dataset}/images/{rowOrImPath}",
            "/datasets/{dataset}/curriculum",
            "/datasets/{dataset}/dirmap.csv",
            "/jobs",
            "/jobs/{jobId}",
            "/events")
        .forEach(path -> paths.add(BASE + path));
    return json;
  }

  /** Every dataset with its reference job, gathered from every instance. */
  private ObjectNode datasets(Context ctx) {
    requireAttached();
    Map<String, ObjectNode> chosen = new TreeMap<>();
    for (DatasetJobs dataset : DatasetCatalog.datasets(stores.jobs()).values()) {
      chosen.put(dataset.dataset(), datasetJson(dataset));
    }
    if (!isLocal(ctx)) {
      Comparator<JsonNode> preferred =
          Comparator.comparing((JsonNode d) -> d.get("complete").asBoolean())
              .thenComparing(d -> Instant.parse(d.get("created_at").asText()))
              .thenComparing(d -> d.get("job_id").asText());
      for (HostInfo other : router.others()) {
        for (JsonNode dataset : fetch(other, BASE + "/datasets").get("datasets")) {
          chosen.merge(
              dataset.get("dataset").asText(),
              (ObjectNode) dataset,
              (a, b) -> preferred.compare(a, b) >= 0 ? a : b);
        }
      }
    }
    ObjectNode json = JSON.createObjectNode();
    ArrayNode list = json.putArray("datasets");
    chosen.values().forEach(list::add);
    return json;
  }

  private ObjectNode jobs(Context ctx) {
    requireAttached();
    List<ObjectNode> jobs = new ArrayList<>();
    for (JobProgress progress : stores.jobs()) {
      jobs.add(jobJson(progress, stores.rows(progress.getJob().getJobId())));
    }
    if (!isLocal(ctx)) {
      for (HostInfo other : router.others()) {
        fetch(other, BASE + "/jobs").get("jobs").forEach(job -> jobs.add((ObjectNode) job));
      }
    }
    jobs.sort(
        Comparator.comparing((ObjectNode j) -> j.get("created_at").asText())
            .thenComparing(j -> j.get("job_id").asText()));
    ObjectNode json = JSON.createObjectNode();
    ArrayNode list = json.putArray("jobs");
    jobs.forEach(list::add);
    return json;
  }

  private void job(Context ctx) {
    requireAttached();
    String jobId = ctx.pathParam("jobId");
    if (!isLocal(ctx)) {
      HostInfo owner = router.ownerOf(RecordKeys.jobGroup(jobId));
      if (!owner.equals(router.self())) {
        forward(ctx, owner);
        return;
      }
    }
    JobProgress progress = stores.job(jobId);
    if (progress == null) {
      throw ApiException.notFound("unknown job '" + jobId + "'");
    }
    json(ctx, jobJson(progress, stores.rows(jobId)));
  }

  private interface DatasetHandler {
    void handle(Context ctx, DatasetJobs dataset);
  }

  /** Runs a dataset's handler on the instance that holds the dataset's jobs. */
  private void onDataset(Context ctx, DatasetHandler handler) {
    requireAttached();
    String name = ctx.pathParam("dataset");
    if (!isLocal(ctx)) {
      List<JobKey> keys = new ArrayList<>();
      stores.jobs().forEach(p -> keys.add(JobKey.of(p)));
      for (HostInfo other : router.others()) {
        for (JsonNode job : fetch(other, BASE + "/jobs").get("jobs")) {
          keys.add(
              new JobKey(
                  job.get("job_id").asText(),
                  job.get("dataset").asText(),
                  job.get("open_ended").asBoolean(),
                  job.get("complete").asBoolean(),
                  Instant.parse(job.get("created_at").asText())));
        }
      }
      Map<String, String> references = DatasetCatalog.references(keys);
      String reference = references.get(name);
      if (reference == null) {
        throw ApiException.notFound("unknown dataset '" + name + "'" + known(references.keySet()));
      }
      HostInfo owner = router.ownerOf(RecordKeys.jobGroup(reference));
      if (!owner.equals(router.self())) {
        forward(ctx, owner);
        return;
      }
    }
    Map<String, DatasetJobs> local = DatasetCatalog.datasets(stores.jobs());
    DatasetJobs dataset = local.get(name);
    if (dataset == null) {
      throw ApiException.notFound("unknown dataset '" + name + "'" + known(local.keySet()));
    }
    handler.handle(ctx, dataset);
  }

  private void dataset(Context ctx, DatasetJobs dataset) {
    json(ctx, datasetJson(dataset));
  }

  private void images(Context ctx, DatasetJobs dataset) {
    List<Image> images = filtered(ctx, images(dataset));
    String order = choice(ctx, "order", "dirmap", "dirmap", "difficulty", "-difficulty");
    Comparator<Image> byDifficulty =
        Comparator.comparing(Image::difficulty, Comparator.nullsLast(Comparator.naturalOrder()));
    if (order.equals("difficulty")) {
      images = images.stream().sorted(byDifficulty).toList();
    } else if (order.equals("-difficulty")) {
      images =
          images.stream()
              .sorted(
                  Comparator.comparing(
                      Image::difficulty, Comparator.nullsLast(Comparator.<Double>reverseOrder())))
              .toList();
    }
    int limit = integer(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    int offset = cursor(ctx);
    ObjectNode json = JSON.createObjectNode();
    json.put("dataset", dataset.dataset());
    json.put("job_id", dataset.reference().getJob().getJobId());
    json.put("total", images.size());
    ArrayNode list = json.putArray("images");
    images.stream().skip(offset).limit(limit).forEach(image -> list.add(image.json()));
    if (offset + limit < images.size()) {
      json.put("next_cursor", String.valueOf(offset + limit));
    } else {
      json.putNull("next_cursor");
    }
    json(ctx, json);
  }

  private void image(Context ctx, DatasetJobs dataset) {
    String wanted = ctx.pathParam("image");
    List<Image> images = images(dataset);
    Image found = null;
    if (wanted.matches("\\d{1,12}")) {
      long row = Long.parseLong(wanted);
      String reference = dataset.reference().getJob().getJobId();
      found =
          images.stream()
              .filter(i -> i.jobId().equals(reference) && i.rowIndex() == row)
              .findFirst()
              .orElse(null);
    }
    if (found == null) {
      found = images.stream().filter(i -> i.imPath().equals(wanted)).findFirst().orElse(null);
    }
    if (found == null) {
      throw ApiException.notFound(
          "dataset '"
              + dataset.dataset()
              + "' has no scored image '"
              + wanted
              + "' (a row index of job "
              + dataset.reference().getJob().getJobId()
              + " or an im_path)");
    }
    json(ctx, found.json());
  }

  private void curriculum(Context ctx, DatasetJobs dataset) {
    List<Image> images = images(dataset);
    List<String> classes = DatasetCatalog.classes(images);
    String order = choice(ctx, "order", "model", "model", "human", "blend");
    if (!order.equals("model")) {
      images = rankedByPeople(images, classes.size(), order);
    }
    String split = text(ctx, "split", "train");
    int perClass = integer(ctx, "per_class", 1, 1, MAX_LIMIT);
    List<String> fractions = list(ctx, "easiest", "1");
    List<String> conditionIds = list(ctx, "condition", Conditions.NATURAL);
    if (conditionIds.size() != 1 && conditionIds.size() != fractions.size()) {
      throw ApiException.badRequest(
          "condition lists "
              + conditionIds.size()
              + " conditions and easiest "
              + fractions.size()
              + " fractions: give one condition for every block, or one for all");
    }
    Set<String> allowed = conditionIds(dataset.reference().getJob());
    List<Curriculum.Block> blocks = new ArrayList<>();
    for (int b = 0; b < fractions.size(); b++) {
      double easiest = fraction(fractions.get(b));
      String condition = conditionIds.get(conditionIds.size() == 1 ? 0 : b);
      if (!allowed.contains(condition)) {
        throw ApiException.badRequest(
            "condition '"
                + condition
                + "' is not one of dataset "
                + dataset.dataset()
                + "'s: "
                + String.join(", ", allowed));
      }
      blocks.add(new Curriculum.Block(easiest, condition));
    }
    long seed =
        ctx.queryParam("seed") == null
            ? ThreadLocalRandom.current().nextLong(1L << 31)
            : longParam(ctx, "seed");
    ObjectNode json = JSON.createObjectNode();
    json.put("dataset", dataset.dataset());
    json.put("job_id", dataset.reference().getJob().getJobId());
    json.put("split", split);
    json.put("order", order);
    json.put("seed", seed);
    json.put("per_class", perClass);
    ArrayNode classList = json.putArray("classes");
    classes.forEach(classList::add);
    ArrayNode blockList = json.putArray("blocks");
    List<Curriculum.Selection> selections =
        Curriculum.select(images, classes, split, perClass, blocks, seed);
    for (int b = 0; b < selections.size(); b++) {
      Curriculum.Selection selection = selections.get(b);
      ObjectNode block = blockList.addObject();
      block.put("block", b);
      block.put("easiest", selection.block().easiest());
      block.put("condition", selection.block().condition());
      ArrayNode picks = block.putArray("images");
      for (Image image : selection.images()) {
        ObjectNode pick = image.json().deepCopy();
        pick.put("url", image.urls().get(selection.block().condition()));
        if (!order.equals("model")) {
          pick.put("ranked_difficulty", image.difficulty());
        }
        picks.add(pick);
      }
    }
    json(ctx, json);
  }

  /**
   * A condition's dirmap as the aggregator writes it (the same bytes), built from the live state.
   */
  private void dirmapCsv(Context ctx, DatasetJobs dataset) {
    String condition = text(ctx, "condition", Conditions.NATURAL);
    String jobId = text(ctx, "job", dataset.reference().getJob().getJobId());
    JobProgress progress =
        jobId.equals(dataset.reference().getJob().getJobId())
            ? dataset.reference()
            : dataset.watchJobs().stream()
                .filter(p -> p.getJob().getJobId().equals(jobId))
                .findFirst()
                .orElseThrow(
                    () ->
                        ApiException.badRequest(
                            "job '"
                                + jobId
                                + "' is neither dataset "
                                + dataset.dataset()
                                + "'s job nor one of its watch jobs"));
    Set<String> allowed = conditionIds(progress.getJob());
    if (!allowed.contains(condition)) {
      throw ApiException.badRequest(
          "condition '"
              + condition
              + "' is not one of job "
              + jobId
              + "'s: "
              + String.join(", ", allowed));
    }
    List<RowState> rows = stores.rows(jobId);
    DirmapTable.Table table;
    if (progress.getJob().getOpenEnded()) {
      // As the aggregator writes incoming dirmaps: complete rows, against the reference job's
      // range.
      List<RowState> complete = rows.stream().filter(RowState::getComplete).toList();
      DirmapTable.LogitRange range =
          dataset.reference().getLogitMin() != null
              ? DatasetCatalog.range(dataset.reference(), List.of())
              : DirmapTable.LogitRange.of(complete);
      table = DirmapTable.build(progress.getJob(), condition, complete, range);
    } else {
      if (!progress.getEmitted()) {
        throw ApiException.conflict(
            "job "
                + jobId
                + " is still running ("
                + (progress.getCompleted() + progress.getFailed())
                + " of "
                + progress.getJob().getRowCount()
                + " rows done): its dirmaps are written when it completes");
      }
      table =
          DirmapTable.build(
              progress.getJob(), condition, rows, DatasetCatalog.range(progress, rows));
    }
    ctx.contentType("text/csv; charset=utf-8").result(DirmapSink.csv(table));
  }

  /**
   * The curriculum's order by people: {@code human} ranks an image by its observed accuracy (one
   * nobody answered yet by the calibrated prediction), {@code blend} by the calibrated prediction
   * moved toward the observed accuracy as answers accumulate — the posterior mean {@code (w·p_model
   * + correct) / (w + trials)} with the prediction worth {@code w} answers ({@code
   * api.blend.prior.trials}). Difficulty for ranking is one minus that accuracy. Without a
   * calibration yet (too few answers), the model's difficulty stands.
   */
  private List<Image> rankedByPeople(List<Image> images, int classes, String order) {
    Calibration calibration =
        new Calibration(images, classes, settings.calibrationMinTrials(), "all");
    Calibration.Curve curve = calibration.curve();
    double prior = order.equals("human") ? 0 : settings.blendPriorTrials();
    List<Image> ranked = new ArrayList<>(images.size());
    for (Image image : images) {
      var tally = calibration.tally(image);
      if (curve == null) {
        ranked.add(image);
        continue;
      }
      double predicted = curve.predict(image.logit());
      double accuracy =
          tally.getTrials() == 0
              ? predicted
              : (prior * predicted + tally.getCorrect()) / (prior + tally.getTrials());
      ranked.add(image.rankedBy(1 - accuracy));
    }
    return ranked;
  }

  private void calibration(Context ctx, DatasetJobs dataset) {
    List<Image> images = images(dataset);
    Set<String> conditions = conditionIds(dataset.reference().getJob());
    String condition = text(ctx, "condition", "all");
    if (!condition.equals("all") && !conditions.contains(condition)) {
      throw ApiException.badRequest(
          "condition '"
              + condition
              + "' is neither all nor one of dataset "
              + dataset.dataset()
              + "'s: "
              + String.join(", ", conditions));
    }
    int minTrials = integer(ctx, "min_trials", settings.calibrationMinTrials(), 1, 1_000_000);
    Map<String, Double> eps = new LinkedHashMap<>();
    eps.put(Conditions.NATURAL, 0.0);
    dataset.reference().getJob().getConditions().forEach(c -> eps.put(c.getId(), c.getEps()));
    Map<String, HumanTally> byBlock = new TreeMap<>(dataset.reference().getHumanByBlock());
    for (JobProgress watch : dataset.watchJobs()) {
      watch
          .getHumanByBlock()
          .forEach(
              (key, tally) ->
                  byBlock.merge(key, tally, (a, b) -> HumanStats.pooled(Map.of("a", a, "b", b))));
    }
    Calibration calibration =
        new Calibration(images, DatasetCatalog.classes(images).size(), minTrials, condition);
    json(
        ctx,
        calibration.json(dataset.dataset(), dataset.reference().getJob().getJobId(), eps, byBlock));
  }

  /** Participants' answers in: see {@link OutcomeIntake}. */
  private void outcomes(Context ctx) {
    if (settings.outcomesToken() != null) {
      String expected = "Bearer " + settings.outcomesToken().value();
      String given = ctx.header("Authorization");
      if (given == null
          || !MessageDigest.isEqual(
              given.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
        throw new ApiException(
            401, "POST /outcomes needs the header Authorization: Bearer <api.outcomes.token>");
      }
    }
    if (ctx.contentLength() > settings.outcomesMaxBytes()) {
      throw new ApiException(
          413,
          "the body has "
              + ctx.contentLength()
              + " bytes; "
              + ApiSettings.OUTCOMES_MAX_BYTES
              + " is "
              + settings.outcomesMaxBytes()
              + ": post a session's answers in parts");
    }
    requireAttached();
    JsonNode body;
    try {
      body = JSON.readTree(ctx.bodyAsBytes());
    } catch (JsonProcessingException malformed) {
      throw ApiException.badRequest("the body is not JSON: " + malformed.getOriginalMessage());
    } catch (IOException unreadable) {
      throw ApiException.badRequest("the body cannot be read: " + unreadable.getMessage());
    }
    if (body == null || !(body.isObject() || body.isArray())) {
      throw ApiException.badRequest(
          "the body must be {\"session_id\": ..., \"trials\": [...]} or an array of trials");
    }
    OutcomeIntake.Result result =
        intake.record(body, ctx.queryParam("session_id"), this::resolveEverywhere);
    ctx.status(result.errors().isEmpty() ? 200 : 422);
    json(ctx, result.json());
  }

  /** Image lookups answered from this instance's state, then from the others'. */
  private Map<String, ImageIndex.Hit> resolveEverywhere(Set<String> lookups) {
    Map<String, ImageIndex.Hit> hits = new HashMap<>(index.resolve(lookups));
    if (hits.size() < lookups.size()) {
      for (HostInfo other : router.others()) {
        List<String> missing = lookups.stream().filter(k -> !hits.containsKey(k)).toList();
        if (missing.isEmpty()) {
          break;
        }
        JsonNode answer =
            readJson(
                other,
                router.post(
                    other, BASE + "/outcomes/resolve", JSON.valueToTree(missing).toString()));
        answer
            .fields()
            .forEachRemaining(
                e ->
                    hits.put(
                        e.getKey(),
                        new ImageIndex.Hit(
                            e.getValue().get("dataset").asText(),
                            e.getValue().get("job_id").asText(),
                            e.getValue().get("row_index").asLong(),
                            e.getValue().get("condition").asText())));
      }
    }
    return hits;
  }

  /** Internal: another instance asks which of these images this one holds. */
  private void resolve(Context ctx) throws IOException {
    requireAttached();
    if (!isLocal(ctx)) {
      throw ApiException.notFound(
          "no such path: POST " + ctx.path() + " (between aggregator instances only)");
    }
    List<String> lookups = new ArrayList<>();
    JSON.readTree(ctx.bodyAsBytes()).forEach(key -> lookups.add(key.asText()));
    ObjectNode json = JSON.createObjectNode();
    index
        .resolve(lookups)
        .forEach(
            (key, hit) ->
                json.putObject(key)
                    .put("dataset", hit.dataset())
                    .put("job_id", hit.jobId())
                    .put("row_index", hit.rowIndex())
                    .put("condition", hit.condition()));
    json(ctx, json);
  }

  /**
   * A dataset's calibration for the live feed, asked of this API so that it is routed like any
   * request.
   */
  private String calibrationEvent(String dataset) {
    HttpResponse<byte[]> response =
        router.get(
            router.self(),
            BASE
                + "/datasets/"
                + URLEncoder.encode(dataset, StandardCharsets.UTF_8)
                + "/calibration",
            false);
    return response.statusCode() == 200
        ? new String(response.body(), StandardCharsets.UTF_8)
        : null;
  }

  // ---- JSON views ------------------------------------------------------------------------------

  /**
   * The reference job's images, then its watch jobs' (scored against the reference job's range).
   */
  private List<Image> images(DatasetJobs dataset) {
    List<RowState> referenceRows = stores.rows(dataset.reference().getJob().getJobId());
    DirmapTable.LogitRange range = DatasetCatalog.range(dataset.reference(), referenceRows);
    List<Image> images =
        new ArrayList<>(DatasetCatalog.images(dataset.reference(), referenceRows, range));
    for (JobProgress watch : dataset.watchJobs()) {
      List<RowState> rows = stores.rows(watch.getJob().getJobId());
      images.addAll(
          DatasetCatalog.images(
              watch, rows, range != null ? range : DirmapTable.LogitRange.of(rows)));
    }
    return images;
  }

  private List<Image> filtered(Context ctx, List<Image> images) {
    String split = ctx.queryParam("split");
    String className = ctx.queryParam("class");
    if (split != null && !split.isBlank()) {
      Set<String> splits = new TreeSet<>();
      images.forEach(i -> splits.add(String.valueOf(i.split())));
      if (!splits.contains(split)) {
        throw ApiException.badRequest(
            "split '" + split + "' is not one of the dataset's: " + String.join(", ", splits));
      }
      images = images.stream().filter(i -> split.equals(i.split())).toList();
    }
    if (className != null && !className.isBlank()) {
      List<String> classes = DatasetCatalog.classes(images);
      if (!classes.contains(className)) {
        throw ApiException.badRequest(
            "class '" + className + "' is not one of the dataset's: " + String.join(", ", classes));
      }
      images = images.stream().filter(i -> className.equals(i.className())).toList();
    }
    return images;
  }

  private ObjectNode datasetJson(DatasetJobs dataset) {
    JobProgress reference = dataset.reference();
    Job job = reference.getJob();
    List<Image> images = images(dataset);
    ObjectNode json = JSON.createObjectNode();
    json.put("dataset", dataset.dataset());
    json.put("job_id", job.getJobId());
    json.put("model_id", job.getModelId());
    json.put("complete", reference.getEmitted());
    json.put("created_at", job.getCreatedAt().toString());
    json.put("rows", job.getRowCount());
    json.put(
        "scored",
        stores.rows(job.getJobId()).stream().filter(r -> r.getRobustGtLogit() != null).count());
    json.put("failed", reference.getFailed());
    json.put("images", images.stream().filter(i -> !i.incoming()).count());
    json.put("incoming_images", images.stream().filter(Image::incoming).count());
    ArrayNode classes = json.putArray("classes");
    DatasetCatalog.classes(images).forEach(classes::add);
    conditionsJson(json.putArray("conditions"), job);
    ArrayNode watch = json.putArray("watch_jobs");
    dataset.watchJobs().forEach(p -> watch.add(p.getJob().getJobId()));
    return json;
  }

  private static ObjectNode jobJson(JobProgress progress, List<RowState> rows) {
    Job job = progress.getJob();
    ObjectNode json = JSON.createObjectNode();
    json.put("job_id", job.getJobId());
    json.put("dataset", job.getDataset());
    json.put("model_id", job.getModelId());
    json.put("created_at", job.getCreatedAt().toString());
    json.put("open_ended", job.getOpenEnded());
    if (job.getReferenceJobId() == null) {
      json.putNull("reference_job_id");
    } else {
      json.put("reference_job_id", job.getReferenceJobId());
    }
    conditionsJson(json.putArray("conditions"), job);
    json.put("rows", job.getRowCount());
    json.put("scored", rows.stream().filter(r -> r.getRobustGtLogit() != null).count());
    json.put("uploaded", progress.getCompleted());
    json.put("failed", progress.getFailed());
    json.put("complete", progress.getEmitted());
    return json;
  }

  private static void conditionsJson(ArrayNode list, Job job) {
    ObjectNode natural = list.addObject();
    natural.put("id", Conditions.NATURAL);
    natural.put("eps", 0.0);
    for (Condition condition : job.getConditions()) {
      ObjectNode json = list.addObject();
      json.put("id", condition.getId());
      json.put("eps", condition.getEps());
      json.put("step_size", condition.getStepSize());
      json.put("num_steps", condition.getNumSteps());
      json.put("objective", condition.getObjective().name().toLowerCase(Locale.ROOT));
      json.put("attack", condition.getAttack());
    }
  }

  private static Set<String> conditionIds(Job job) {
    Set<String> ids = new LinkedHashSet<>();
    ids.add(Conditions.NATURAL);
    job.getConditions().forEach(c -> ids.add(c.getId()));
    return ids;
  }

  // ---- Parameters ------------------------------------------------------------------------------

  private static String text(Context ctx, String name, String fallback) {
    String value = ctx.queryParam(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  private static String choice(Context ctx, String name, String fallback, String... allowed) {
    String value = text(ctx, name, fallback);
    if (!List.of(allowed).contains(value)) {
      throw ApiException.badRequest(
          name + "=" + value + " is not allowed; use one of " + String.join(", ", allowed));
    }
    return value;
  }

  private static int integer(Context ctx, String name, int fallback, int min, int max) {
    String value = ctx.queryParam(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(value.trim());
      if (parsed >= min && parsed <= max) {
        return parsed;
      }
    } catch (NumberFormatException notANumber) {
      // answered below
    }
    throw ApiException.badRequest(
        name + "=" + value + " must be an integer from " + min + " to " + max);
  }

  private static long longParam(Context ctx, String name) {
    String value = ctx.queryParam(name);
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException notANumber) {
      throw ApiException.badRequest(name + "=" + value + " must be an integer");
    }
  }

  private static int cursor(Context ctx) {
    String value = ctx.queryParam("cursor");
    if (value == null || value.isBlank()) {
      return 0;
    }
    if (!value.matches("\\d{1,9}")) {
      throw ApiException.badRequest(
          "cursor=" + value + " is not a cursor this API returned (next_cursor)");
    }
    return Integer.parseInt(value);
  }

  private static List<String> list(Context ctx, String name, String fallback) {
    return List.of(text(ctx, name, fallback).split(",")).stream().map(String::trim).toList();
  }

  private static double fraction(String text) {
    try {
      double value = Double.parseDouble(text);
      if (value > 0 && value <= 1) {
        return value;
      }
    } catch (NumberFormatException notANumber) {
      // answered below
    }
    throw ApiException.badRequest(
        "easiest="
            + text
            + " must be a fraction in (0, 1] (e.g. 0.1 for the easiest 10% of each class)");
  }

  // ---- Plumbing --------------------------------------------------------------------------------

  private void requireAttached() {
    if (stores == null) {
      throw ApiException.unavailable("the aggregator is starting; retry in a few seconds");
    }
  }

  private static boolean isLocal(Context ctx) {
    return "true".equals(ctx.header(InstanceRouter.LOCAL_HEADER));
  }

  private JsonNode fetch(HostInfo host, String path) {
    return readJson(host, router.get(host, path));
  }

  private static JsonNode readJson(HostInfo host, HttpResponse<byte[]> response) {
    String path = response.uri().getPath();
    if (response.statusCode() != 200) {
      throw ApiException.unavailable(
          "aggregator instance "
              + host.host()
              + ":"
              + host.port()
              + " answered "
              + response.statusCode()
              + " for "
              + path
              + "; retry in a few seconds");
    }
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Answers with what the owning instance answers: status, type and body as they are. */
  private void forward(Context ctx, HostInfo owner) {
    String query = ctx.queryString();
    HttpResponse<byte[]> response =
        router.get(owner, ctx.path() + (query == null ? "" : "?" + query));
    ctx.status(response.statusCode());
    response.headers().firstValue("Content-Type").ifPresent(ctx::contentType);
    response
        .headers()
        .firstValue("Retry-After")
        .ifPresent(value -> ctx.header("Retry-After", value));
    ctx.result(response.body());
  }

  private static void json(Context ctx, JsonNode json) {
    ctx.contentType("application/json").result(json.toString());
  }

  private static void error(Context ctx, int status, String message) {
    ObjectNode json = JSON.createObjectNode();
    json.put("error", message);
    json.put("status", status);
    if (status == 503) {
      ctx.header("Retry-After", String.valueOf(ApiException.RETRY_AFTER_SECONDS));
    }
    ctx.status(status);
    json(ctx, json);
  }

  private static String known(Set<String> names) {
    return names.isEmpty()
        ? " (no dataset has been submitted yet)"
        : "; known: " + String.join(", ", names);
  }

  private static String rootMessage(Throwable error) {
    Throwable root = error;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  /** The OpenAPI document, written as YAML for people and served as JSON. */
  private static byte[] openApiJson() {
    try (InputStream yaml = LiveDifficultyApi.class.getResourceAsStream("openapi.yaml")) {
      if (yaml == null) {
        throw new IllegalStateException("openapi.yaml is missing from the aggregator jar");
      }
      return JSON.writeValueAsBytes(new YAMLMapper().readTree(yaml));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (feed != null) {
      feed.close();
    }
    if (intake != null) {
      intake.close();
    }
    server.stop();
  }
}
