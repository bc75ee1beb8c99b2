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
 */
public record JobRequest(
    Path dirmap,
    String dataset,
    String modelId,
    String labelColumn,
    boolean score,
    List<Condition> conditions,
    ImageFormat outputFormat,
    String referenceJobId) {

  public JobRequest {
    DatasetNames.check(dataset);
    conditions = List.copyOf(conditions);
    if (!score && conditions.isEmpty()) {
      throw new IllegalArgumentException("nothing to do: neither scoring nor any enhancement condition requested");
    }
  }
}
