package org.lwise.stream.launcher.report;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.lwise.stream.method.RgbImage;
import org.lwise.stream.method.RobustClassifier;

/**
 * The gt-logit of images as written (the enhanced outputs, after 8-bit rounding and, for JPEG
 * outputs, compression): what a participant sees, scored by the job's robust model.
 */
final class EnhancedLogits {
  private EnhancedLogits() {}

  /** One image to score and its label; the image must be a crop of the model's input size. */
  record Request(RgbImage image, int label) {}

  /** z[label] per request, null where the image is missing or not of the model's size. */
  static List<Double> of(Path modelCard, List<Request> requests) {
    List<Double> logits = new ArrayList<>();
    try (RobustClassifier model = RobustClassifier.load(modelCard);
        Predictor<RgbImage, float[]> predictor = model.newImagePredictor()) {
      int size = model.card().inputSize();
      for (Request request : requests) {
        RgbImage image = request.image();
        if (image == null
            || image.width() != size
            || image.height() != size
            || request.label() < 0
            || request.label() >= model.card().numClasses()) {
          logits.add(null);
          continue;
        }
        logits.add((double) predictor.predict(image)[request.label()]);
      }
    } catch (TranslateException e) {
      throw new IllegalStateException("the model's forward pass failed: " + e.getMessage(), e);
    }
    return logits;
  }
}
