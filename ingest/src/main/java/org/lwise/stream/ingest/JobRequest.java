package org.lwise.stream.ingest;

import java.nio.file.Path;
import java.util.List;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.ImageFormat;

/**
 * What a user asks of one dirmap.
 *
 * @param dataset name used in output folders and bucket names; the dirmap's folder name by default;
 *     must follow {@link DatasetNames#RULE}
 * @param referenceJobId watch mode only: the finished job whose logit range scores new images
 * @param keepInputColumns an input column the pipeline also writes ({@code url}, {@code
 *     difficulty}…) keeps its values in place and the pipeline's are added as {@code <name>_lwise};
 *     by default the pipeline's take its place and the input's move to {@code <name>_input}
 */
public record JobRequest(
    Path dirmap,
    String dataset,
    String modelId,
    String labelColumn,
    boolean score,
    List<Condition> conditions,
    ImageFormat outputFormat,
    String referenceJobId,
    boolean keepInputColumns) {

  /** A request whose output columns replace the input's columns of the same name (the default). */
  public JobRequest(
      Path dirmap,
      String dataset,
      String modelId,
      String labelColumn,
      boolean score,
      List<Condition> conditions,
      ImageFormat outputFormat,
      String referenceJobId) {
    this(
        dirmap,
        dataset,
        modelId,
        labelColumn,
        score,
        conditions,
        outputFormat,
        referenceJobId,
        false);
  }

  public JobRequest {
    DatasetNames.check(dataset);
    conditions = List.copyOf(conditions);
    if (!score && conditions.isEmpty()) {
      throw new IllegalArgumentException(
          "nothing to do: neither scoring nor any enhancement condition requested");
    }
  }
}
