package org.lwise.stream.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.util.function.Function;

/**
 * DJL translator of the forward-only path: an input becomes CHW floats in [0,1] (for decoded
 * images, by the PIL-exact {@link Preprocessor}), then the model card's normalization {@code
 * (clamp(x, 0, 1) - mean) / std}; the output is the raw logits. Arrays are created only in the
 * context's manager, so each call's are freed with it; DJL's default batchifier stacks inputs for
 * {@code batchPredict}.
 */
public final class LogitsTranslator<I> implements Translator<I, float[]> {
  private final int size;
  private final float[] mean;
  private final float[] std;
  private final Function<I, float[]> toChw;

  private LogitsTranslator(ModelCard card, Function<I, float[]> toChw) {
    this.size = card.inputSize();
    this.mean = card.meanFloats();
    this.std = card.stdFloats();
    this.toChw = toChw;
  }

  /** Decoded 8-bit images of any size: Resize + CenterCrop to the input size, then ToTensor. */
  public static LogitsTranslator<RgbImage> ofImages(ModelCard card) {
    Preprocessor preprocessor = new Preprocessor(card.inputSize());
    return new LogitsTranslator<>(
        card, image -> Preprocessor.toChw(preprocessor.resizeAndCrop(image)));
  }

  /** CHW floats in [0,1] already at the input size. */
  public static LogitsTranslator<float[]> ofChw(ModelCard card) {
    int values = 3 * card.inputSize() * card.inputSize();
    return new LogitsTranslator<>(
        card,
        chw -> {
          if (chw.length != values) {
            throw new IllegalArgumentException(
                "image has " + chw.length + " values, the model takes " + values);
          }
          return chw;
        });
  }

  @Override
  public NDList processInput(TranslatorContext ctx, I input) {
    NDManager manager = ctx.getNDManager();
    NDArray x = manager.create(toChw.apply(input), new Shape(3, size, size));
    NDArray m = manager.create(mean, new Shape(3, 1, 1));
    NDArray s = manager.create(std, new Shape(3, 1, 1));
    return new NDList(x.clip(0f, 1f).sub(m).div(s));
  }

  @Override
  public float[] processOutput(TranslatorContext ctx, NDList list) {
    return list.singletonOrThrow().toFloatArray();
  }
}
