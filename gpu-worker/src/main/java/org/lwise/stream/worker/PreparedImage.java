package org.lwise.stream.worker;

import org.lwise.stream.method.RgbImage;
import org.lwise.stream.schema.ImageRecord;
import org.lwise.stream.schema.JobContext;

/**
 * An image record ready for the model, or the reason it cannot be used.
 *
 * @param crop the resized and center-cropped 8-bit image (the natural output)
 * @param chw the same as model input, CHW floats in [0,1]
 */
public record PreparedImage(ImageRecord record, RgbImage crop, float[] chw, String failure) {
  public static PreparedImage failed(ImageRecord record, String reason) {
    return new PreparedImage(record, null, null, reason);
  }

  /** The job's dataset, model, conditions and output format, carried in the record. */
  public JobContext job() {
    return record.getContext();
  }

  public boolean ok() {
    return failure == null;
  }
}
