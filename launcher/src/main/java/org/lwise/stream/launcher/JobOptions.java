package org.lwise.stream.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.ingest.DatasetNames;
import org.lwise.stream.ingest.JobRequest;
import org.lwise.stream.method.ModelCard;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Objective;
import picocli.CommandLine.Option;

/** The options that describe a job, shared by {@code run} and {@code watch}. */
public final class JobOptions {
  @Option(names = "--dirmap", description = "dirmap CSV; image paths are relative to its folder")
  Path dirmap;

  @Option(
      names = "--model",
      required = true,
      description = "model-card.json of a TorchScript model, or its folder")
  Path model;

  @Option(
      names = "--eps",
      split = ",",
      description = "L2 budgets to enhance at (e.g. 1,2,4); none = scoring only")
  List<Double> eps = new ArrayList<>();

  @Option(
      names = "--step-size",
      defaultValue = "0.5",
      description = "step size (default ${DEFAULT-VALUE})")
  double stepSize;

  @Option(
      names = "--num-steps",
      description = "steps per condition (default: max(1, round(2*eps)), as published)")
  Integer numSteps;

  @Option(
      names = "--objective",
      defaultValue = "logit",
      description = "${COMPLETION-CANDIDATES}, any case (default ${DEFAULT-VALUE})")
  Objective objective;

  @Option(
      names = "--diverge-from",
      split = ",",
      description =
          "logit_diverge: classes to diverge from; their rows are dropped from the enhanced dirmaps")
  List<Integer> divergeFrom = new ArrayList<>();

  @Option(
      names = "--attack",
      description = "ascend the loss (make images harder); condition ids end in _attack")
  boolean attack;

  @Option(
      names = "--random-start",
      description =
          "start each trajectory at a random point of the eps sphere "
              + "(seeded per image; the reference default is no random start); condition ids end in _randstart")
  boolean randomStart;

  @Option(
      names = "--num-augs",
      defaultValue = "0",
      description =
          "multi-view variant for vision transformers: "
              + "random views averaged per step, last iterate (SPEC.md); 0 = the plain loop (default)")
  int numAugs;

  @Option(
      names = "--aug-types",
      split = ",",
      description = "views for --num-augs, in order (default color,translation,resize,cutout)")
  List<String> augTypes = new ArrayList<>(Conditions.DEFAULT_AUG_TYPES);

  @Option(
      names = "--score",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "write robust_gt_logit and difficulty (default on; --no-score to leave them out)")
  boolean score;

  @Option(
      names = "--label-column",
      defaultValue = "class_num",
      description =
          "label column (default ${DEFAULT-VALUE}; orig_class_num for ImageNet-style models)")
  String labelColumn;

  @Option(
      names = "--dataset",
      description = "dataset name for folders and buckets (default: the dirmap's folder name)")
  String dataset;

  @Option(
      names = "--format",
      defaultValue = "png",
      description =
          "png (lossless, default) or source (the input's own format; JPEG at quality 75 like the reference)")
  ImageFormat format;

  @Option(
      names = "--keep-input-columns",
      description =
          "an input column the pipeline also writes (url, difficulty, "
              + "robust_gt_logit…) keeps its values and the new ones are added as <name>_lwise; by default the new values "
              + "take its place and the input's move to <name>_input at the end")
  boolean keepInputColumns;

  JobRequest toRequest(String referenceJobId) {
    if (dirmap == null) {
      throw new IllegalArgumentException("--dirmap is required");
    }
    List<Condition> conditions = new ArrayList<>();
    for (double e : eps) {
      Condition condition =
          Conditions.create(e, stepSize, numSteps, objective, divergeFrom, attack, randomStart);
      conditions.add(numAugs > 0 ? Conditions.withViews(condition, numAugs, augTypes) : condition);
    }
    ModelCard card = ModelCard.read(model);
    String name =
        dataset != null
            ? dataset
            : dirmap.toAbsolutePath().normalize().getParent().getFileName().toString();
    if (dataset == null && !DatasetNames.isSafe(name)) {
      throw new IllegalArgumentException(
          "the dirmap's folder name "
              + DatasetNames.quoted(name)
              + " cannot be the dataset name ("
              + DatasetNames.RULE
              + "); name the dataset with --dataset");
    }
    return new JobRequest(
        dirmap,
        name,
        card.id(),
        labelColumn,
        score,
        conditions,
        format,
        referenceJobId,
        keepInputColumns);
  }
}
