package org.lwise.stream.worker;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.common.Digests;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.method.AscentResult;
import org.lwise.stream.method.EnhancementCondition;
import org.lwise.stream.method.GroundTruthLogitScorer;
import org.lwise.stream.method.ImageStatistics;
import org.lwise.stream.method.L2ProjectedAscent;
import org.lwise.stream.method.MultiViewAscent;
import org.lwise.stream.method.Objective;
import org.lwise.stream.method.RgbImage;
import org.lwise.stream.method.RobustClassifier;
import org.lwise.stream.method.Trajectory;
import org.lwise.stream.method.TrajectoryPlanner;
import org.lwise.stream.method.ViewAugmentation;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.EnhancedImage;
import org.lwise.stream.schema.ImageRecord;
import org.lwise.stream.schema.JobContext;
import org.lwise.stream.schema.Score;

/**
 * Scores and enhances a micro-batch of prepared images: plans trajectories (sharing where SPEC.md
 * allows), runs them through {@link L2ProjectedAscent} or {@link MultiViewAscent} in model batches
 * of at most {@code maxBatch}, scores from the trajectories' first pass at x0 or, where there is
 * none, through a forward-only predictor, and encodes the outputs on the codec executor.
 */
public final class ImageEnhancer implements AutoCloseable {
  private final RobustClassifier model;
  private final L2ProjectedAscent ascent;
  private final MultiViewAscent multiViewAscent;
  private final int maxBatch;
  private final boolean share;
  private final Executor codec;
  private final OutputEncoder encoder;
  private final Predictor<RgbImage, float[]> scorer;

  public ImageEnhancer(RobustClassifier model, int maxBatch, boolean share, Executor codec) {
    this(model, maxBatch, share, codec, new OutputEncoder());
  }

  public ImageEnhancer(
      RobustClassifier model, int maxBatch, boolean share, Executor codec, OutputEncoder encoder) {
    this.model = model;
    this.encoder = encoder;
    this.ascent = new L2ProjectedAscent(model);
    this.multiViewAscent = new MultiViewAscent(model);
    this.scorer = model.newImagePredictor();
    this.maxBatch = maxBatch;
    this.share = share;
    this.codec = codec;
  }

  /** The outputs of one image record: a score and images, or a dead letter. */
  public record Outcome(
      ImageRecord record, Score score, List<EnhancedImage> images, DeadLetter deadLetter) {}

  /** Runs on one thread at a time (the pipeline's): the scoring predictor is not thread-safe. */
  public List<Outcome> process(List<PreparedImage> items) {
    return processAsync(items).join();
  }

  /**
   * Runs the model passes on the calling thread and returns as soon as they are done; the outputs
   * are encoded on the codec executor, so the caller can start the next micro-batch meanwhile. One
   * thread at a time (the scoring predictor is not thread-safe).
   */
  public CompletableFuture<List<Outcome>> processAsync(List<PreparedImage> items) {
    List<Trajectory> trajectories = new ArrayList<>();
    List<TrajectoryPlanner.Plan> viewsOf = new ArrayList<>();
    List<Long> seeds = new ArrayList<>();
    Map<Integer, List<Integer>> trajectoriesOfItem = new HashMap<>();
    // Per item, the trajectory whose first forward pass is at x0 (its logits are the scores), or
    // -1.
    Map<Integer, Integer> scoringTrajectory = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      PreparedImage item = items.get(i);
      if (!item.ok()) {
        continue;
      }
      if (!item.job().getModelId().equals(model.card().id())) {
        // One model per worker group: scoring with another model would silently give wrong numbers.
        items.set(
            i,
            PreparedImage.failed(
                item.record(),
                "wrong model: job "
                    + item.record().getJobId()
                    + " asks for model '"
                    + item.job().getModelId()
                    + "' but this gpu-worker runs '"
                    + model.card().id()
                    + "' (submit with that model's card, or start the workers with --model for this one)"));
        continue;
      }
      int label = item.record().getLabel();
      if (label < 0 || label >= model.card().numClasses()) {
        items.set(
            i,
            PreparedImage.failed(
                item.record(),
                "wrong label: "
                    + label
                    + " is not a class of model '"
                    + model.card().id()
                    + "' ("
                    + model.card().numClasses()
                    + " outputs)"));
        continue;
      }
      List<EnhancementCondition> applicable =
          item.job().getConditions().stream()
              .filter(c -> Conditions.appliesTo(c, label))
              .map(ImageEnhancer::toMethod)
              .toList();
      List<Integer> ids = new ArrayList<>();
      scoringTrajectory.put(i, -1);
      for (TrajectoryPlanner.Plan plan : TrajectoryPlanner.plan(applicable, share)) {
        if (scoringTrajectory.get(i) < 0 && !plan.startsAwayFromX0()) {
          scoringTrajectory.put(i, trajectories.size());
        }
        ids.add(trajectories.size());
        viewsOf.add(plan.numAugs() > 0 ? plan : null);
        // Seeded by the image and condition, so a replayed record gives the same random start and
        // views.
        long seed =
            Objects.hash(
                    item.record().getJobId(),
                    item.record().getRowIndex(),
                    plan.outputs().get(0).conditionId())
                * 0x9E3779B97F4A7C15L;
        seeds.add(seed);
        trajectories.add(
            new Trajectory(
                item.chw(),
                label,
                plan.objective(),
                plan.stepSize(),
                plan.attack(),
                plan.eps(),
                TrajectoryPlanner.divergeSet(plan, label, item.job().getClassesPresent()),
                plan.outputs(),
                plan.randomStart() ? seed : null));
      }
      trajectoriesOfItem.put(i, ids);
    }

    long modelStart = System.nanoTime();
    long modelCpu = WorkerProfile.threadCpuNanos();
    List<AscentResult> results = runAll(trajectories, viewsOf, seeds);
    Map<Integer, float[]> logits = scores(items, scoringTrajectory, results);
    WorkerProfile.process()
        .modelPass(modelStart, System.nanoTime(), WorkerProfile.threadCpuNanos() - modelCpu);

    List<CompletableFuture<Outcome>> pending = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      PreparedImage item = items.get(i);
      if (!item.ok()) {
        pending.add(CompletableFuture.completedFuture(failed(item)));
        continue;
      }
      List<Trajectory> mine = new ArrayList<>();
      List<AscentResult> theirResults = new ArrayList<>();
      for (int id : trajectoriesOfItem.get(i)) {
        mine.add(trajectories.get(id));
        theirResults.add(results.get(id));
      }
      float[] itemLogits = logits.get(i);
      pending.add(
          CompletableFuture.supplyAsync(
              () -> outcome(item, itemLogits, mine, theirResults), codec));
    }
    return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
        .thenApply(done -> pending.stream().map(CompletableFuture::join).toList());
  }

  /**
   * Each usable item's logits at x0: the first forward pass of a trajectory that starts there, or,
   * for scoring-only jobs and trajectories that start elsewhere, a forward-only pass of the crop
   * through the predictor (no autograd, no gradient lock), in batches of {@code maxBatch}.
   */
  private Map<Integer, float[]> scores(
      List<PreparedImage> items,
      Map<Integer, Integer> scoringTrajectory,
      List<AscentResult> results) {
    Map<Integer, float[]> logits = new HashMap<>();
    List<Integer> forwardOnly = new ArrayList<>();
    for (Map.Entry<Integer, Integer> entry : scoringTrajectory.entrySet()) {
      if (entry.getValue() >= 0) {
        logits.put(entry.getKey(), results.get(entry.getValue()).logits0());
      } else {
        forwardOnly.add(entry.getKey());
      }
    }
    for (int from = 0; from < forwardOnly.size(); from += maxBatch) {
      List<Integer> chunk =
          forwardOnly.subList(from, Math.min(forwardOnly.size(), from + maxBatch));
      List<float[]> out;
      try {
        out = scorer.batchPredict(chunk.stream().map(i -> items.get(i).crop()).toList());
      } catch (TranslateException e) {
        throw new IllegalStateException("the model's forward pass failed: " + e.getMessage(), e);
      }
      for (int j = 0; j < chunk.size(); j++) {
        logits.put(chunk.get(j), out.get(j));
      }
    }
    return logits;
  }

  /**
   * The method's view of a job's condition (same fields; the method does not depend on the record
   * schemas).
   */
  static EnhancementCondition toMethod(Condition c) {
    return new EnhancementCondition(
        c.getId(),
        c.getEps(),
        c.getStepSize(),
        c.getNumSteps(),
        Objective.valueOf(c.getObjective().name()),
        c.getDivergeFrom(),
        c.getAttack(),
        c.getRandomStart(),
        c.getNumAugs(),
        c.getAugTypes());
  }

  /**
   * Plain trajectories in model batches of {@code maxBatch}; multi-view ones grouped by views and
   * step count (they return their last iterate, so a batch must share its length).
   */
  private List<AscentResult> runAll(
      List<Trajectory> trajectories, List<TrajectoryPlanner.Plan> viewsOf, List<Long> seeds) {
    AscentResult[] results = new AscentResult[trajectories.size()];
    List<Integer> plain = new ArrayList<>();
    Map<List<Object>, List<Integer>> multiView = new LinkedHashMap<>();
    for (int i = 0; i < trajectories.size(); i++) {
      TrajectoryPlanner.Plan views = viewsOf.get(i);
      if (views == null) {
        plain.add(i);
      } else {
        multiView
            .computeIfAbsent(
                List.of(views.numAugs(), views.augTypes(), trajectories.get(i).steps()),
                k -> new ArrayList<>())
            .add(i);
      }
    }
    for (List<Integer> chunk : modelBatches(trajectories, plain, maxBatch)) {
      List<AscentResult> out = ascent.run(chunk.stream().map(trajectories::get).toList());
      for (int j = 0; j < chunk.size(); j++) {
        results[chunk.get(j)] = out.get(j);
      }
    }
    for (Map.Entry<List<Object>, List<Integer>> group : multiView.entrySet()) {
      TrajectoryPlanner.Plan plan = viewsOf.get(group.getValue().get(0));
      List<ViewAugmentation.Type> types =
          (plan.augTypes().isEmpty() ? Conditions.DEFAULT_AUG_TYPES : plan.augTypes())
              .stream().map(ViewAugmentation.Type::parse).toList();
      for (int from = 0; from < group.getValue().size(); from += maxBatch) {
        List<Integer> chunk =
            group.getValue().subList(from, Math.min(group.getValue().size(), from + maxBatch));
        List<AscentResult> out =
            multiViewAscent.run(
                chunk.stream().map(trajectories::get).toList(),
                new MultiViewAscent.Views(
                    plan.numAugs(), types, chunk.stream().map(seeds::get).toList()));
        for (int j = 0; j < chunk.size(); j++) {
          results[chunk.get(j)] = out.get(j);
        }
      }
    }
    return Arrays.asList(results);
  }

  /**
   * The plain trajectories ({@code indexes} into {@code trajectories}) in model batches of at most
   * {@code maxBatch}. A batch costs its longest member's steps for every member
   * (L2ProjectedAscent), and an item's trajectories alternate short and long (the shared sweep's
   * eps ≤ 2 and eps 4–8 plans): in item order a batch ran 16 steps for trajectories that need 4,
   * 1.6× the passes of the published sweep. Longest first gives batches of one length; a result
   * does not depend on its batch mates.
   */
  static List<List<Integer>> modelBatches(
      List<Trajectory> trajectories, List<Integer> indexes, int maxBatch) {
    List<Integer> byLength = new ArrayList<>(indexes);
    byLength.sort(Comparator.comparingInt((Integer i) -> trajectories.get(i).steps()).reversed());
    List<List<Integer>> batches = new ArrayList<>();
    for (int from = 0; from < byLength.size(); from += maxBatch) {
      batches.add(byLength.subList(from, Math.min(byLength.size(), from + maxBatch)));
    }
    return batches;
  }

  private Outcome outcome(
      PreparedImage item,
      float[] logits,
      List<Trajectory> trajectories,
      List<AscentResult> results) {
    long cpu = WorkerProfile.threadCpuNanos();
    Outcome outcome = encodedOutcome(item, logits, trajectories, results);
    WorkerProfile.process()
        .encoded(
            WorkerProfile.threadCpuNanos() - cpu,
            outcome.images().size(),
            outcome.images().stream().mapToLong(i -> i.getImage().remaining()).sum());
    return outcome;
  }

  private Outcome encodedOutcome(
      PreparedImage item,
      float[] logits,
      List<Trajectory> trajectories,
      List<AscentResult> results) {
    ImageRecord record = item.record();
    JobContext job = item.job();
    GroundTruthLogitScorer.Scores s = GroundTruthLogitScorer.score(logits, record.getLabel());
    long statisticsCpu = WorkerProfile.threadCpuNanos();
    ImageStatistics.Values statistics = ImageStatistics.of(item.crop());
    WorkerProfile.process().statistics(WorkerProfile.threadCpuNanos() - statisticsCpu);
    Score score =
        Score.newBuilder()
            .setJobId(record.getJobId())
            .setRowIndex(record.getRowIndex())
            .setValues(record.getValues())
            .setImPath(record.getImPath())
            .setLabel(record.getLabel())
            .setModelId(model.card().id())
            .setRobustGtLogit(s.gtLogit())
            .setRobustEntropy(s.entropy())
            .setRobustCrossEntropy(s.crossEntropy())
            .setPredictedClass(s.predicted())
            .setImageEntropy(statistics.entropy())
            .setDctRelevantFraction(statistics.dctRelevantFraction())
            .build();
    List<EnhancedImage> images = new ArrayList<>();
    images.add(image(record, Conditions.NATURAL, item.crop(), job));
    for (int t = 0; t < trajectories.size(); t++) {
      List<Trajectory.Output> outputs = trajectories.get(t).outputs();
      for (int o = 0; o < outputs.size(); o++) {
        RgbImage enhanced =
            RgbImage.fromChw(results.get(t).best().get(o), model.card().inputSize());
        images.add(image(record, outputs.get(o).conditionId(), enhanced, job));
      }
    }
    return new Outcome(record, score, images, null);
  }

  private EnhancedImage image(
      ImageRecord record, String conditionId, RgbImage image, JobContext job) {
    OutputEncoder.Encoded encoded =
        encoder.encode(image, record.getImPath(), job.getOutputFormat());
    return EnhancedImage.newBuilder()
        .setJobId(record.getJobId())
        .setRowIndex(record.getRowIndex())
        .setConditionId(conditionId)
        .setImPath(encoded.path())
        .setContentType(encoded.contentType())
        .setImage(ByteBuffer.wrap(encoded.bytes()))
        .setSha256(Digests.sha256(encoded.bytes()))
        .setDataset(job.getDataset())
        .build();
  }

  @Override
  public void close() {
    scorer.close();
  }

  private static Outcome failed(PreparedImage item) {
    ImageRecord r = item.record();
    String key = RecordKeys.row(r.getJobId(), r.getRowIndex());
    return new Outcome(
        r,
        null,
        List.of(),
        DeadLetters.of(
            "gpu-worker",
            "row " + r.getRowIndex() + " (" + r.getImPath() + "): " + item.failure(),
            key,
            r.getJobId(),
            r.getRowIndex(),
            r.getImPath()));
  }
}
