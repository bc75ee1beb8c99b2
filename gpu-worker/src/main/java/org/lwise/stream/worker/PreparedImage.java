package org.lwise.stream.worker;

import org.lwise.stream.schema.ImageRecord;
import org.lwise.stream.schema.Job;

/**
 * An image record ready for the model, or the reason it cannot be used.
 *
 * @param crop the resized and center-cropped 8-bit image (the natural output)
 * @param chw the same as model input, CHW floats in [0,1]
 */
public record PreparedImage(ImageRecord record, Job job, RgbImage crop, float[] chw, String failure) {
  public static PreparedImage failed(ImageRecord record, Job job, String reason) {
    return new PreparedImage(record, job, null, null, reason);
  }

  public boolean ok() {
    return failure == null;
  }
}
