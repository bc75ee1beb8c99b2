package org.lwise.stream.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.lwise.stream.method.Objective;
import org.lwise.stream.method.RobustClassifier;
import org.lwise.stream.trainer.EnhancementGrid;
import org.lwise.stream.trainer.LabeledImages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lwise grid}: a PNG of originals and their enhancements at several eps, per model, side by
 * side.
 */
@Command(
    name = "grid",
    mixinStandardHelpOptions = true,
    description =
        "Picture originals and their enhancements at several eps for one or more models, side by side.")
public final class GridCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "model card; repeat to compare models")
  List<Path> models;

  @Option(names = "--dirmap", required = true)
  Path dirmap;

  @Option(names = "--split", defaultValue = "test")
  String split;

  @Option(names = "--count", defaultValue = "8", description = "images (default ${DEFAULT-VALUE})")
  int count;

  @Option(names = "--eps", split = ",", defaultValue = "1,2,4,8")
  List<Double> eps;

  @Option(
      names = "--objective",
      defaultValue = "logit",
      description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
  Objective objective;

  @Option(names = "--seed", defaultValue = "3")
  long seed;

  @Option(names = "--out", defaultValue = "enhancement-grid.png")
  Path out;

  @Override
  public Integer call() {
    List<RobustClassifier> loaded = new ArrayList<>();
    try {
      for (Path model : models) {
        loaded.add(RobustClassifier.load(model));
      }
      LabeledImages images =
          LabeledImages.load(
              dirmap, split, "class_num", loaded.get(0).card().inputSize(), count, seed);
      EnhancementGrid.write(loaded, images, eps, objective, out);
      System.out.println("Wrote " + out);
    } finally {
      loaded.forEach(RobustClassifier::close);
    }
    return 0;
  }
}
