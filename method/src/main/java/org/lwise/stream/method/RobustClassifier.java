package org.lwise.stream.method;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A TorchScript classifier loaded with DJL's PyTorch engine, with its model card's normalization in
 * front: {@code logits(x) = f((clamp(x, 0, 1) - mean) / std)} for x in [0,1]. One per process.
 *
 * <p>Forward-only work (scoring, evaluation) goes through DJL's {@link Predictor}s ({@link
 * #newImagePredictor()}, {@link #newChwPredictor()}): no autograd, no lock, one predictor per
 * thread.
 *
 * <p>This is the ONE class that calls the PyTorch engine's internals ({@code IValueUtils}, {@code
 * JniUtils}), because DJL's public API cannot do three things the method needs: take the gradient
 * with respect to the INPUT through a TorchScript module while its BatchNorm stays in eval mode
 * ({@link #differentiableLogits}); switch the module between train and eval mode when training
 * alternates with an attack (DJL only switches when its own flag changes, and assumes a freshly
 * loaded module is in train mode); and write plain TorchScript that {@code torch.jit.load} reads
 * ({@link #writeTorchScript}). See STACK.md "DJL + PyTorch, offline".
 */
public final class RobustClassifier implements AutoCloseable {
  private final ModelCard card;
  private final Model model;
  private final PtSymbolBlock block;
  private final NDArray mean;
  private final NDArray std;

  private RobustClassifier(ModelCard card, Model model, PtSymbolBlock block) {
    this.card = card;
    this.model = model;
    this.block = block;
    NDManager manager = model.getNDManager();
    this.mean = manager.create(card.meanFloats(), new Shape(1, 3, 1, 1));
    this.std = manager.create(card.stdFloats(), new Shape(1, 3, 1, 1));
  }

  /**
   * Loads the model named by a model card (the card file or its folder) on the {@code auto} device.
   */
  public static RobustClassifier load(Path cardPath) {
    return load(cardPath, InferenceDevice.select(InferenceDevice.AUTO));
  }

  /** Loads the model named by a model card (the card file or its folder) on {@code device}. */
  public static RobustClassifier load(Path cardPath, Device device) {
    ModelCard card = ModelCard.read(cardPath);
    Path folder = ModelCard.folder(cardPath);
    Path file = folder.resolve(card.file());
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "model file " + file + " named by the model card does not exist");
    }
    String name =
        card.file().endsWith(".pt")
            ? card.file().substring(0, card.file().length() - 3)
            : card.file();
    Model model = Model.newInstance(card.id(), device, "PyTorch");
    try {
      // trainParam: parameters that autograd can reach, so input gradients flow through the module.
      model.load(folder, name, Map.of("trainParam", "true"));
    } catch (IOException e) {
      model.close();
      throw new UncheckedIOException("cannot load model " + file, e);
    } catch (MalformedModelException e) {
      model.close();
      throw new IllegalArgumentException(
          "model " + file + " is not a TorchScript module DJL can load: " + e.getMessage(), e);
    }
    RobustClassifier classifier =
        new RobustClassifier(card, model, (PtSymbolBlock) model.getBlock());
    classifier.frozenEvalMode();
    return classifier;
  }

  public ModelCard card() {
    return card;
  }

  /**
   * Logits (N, K) of a batch x (N, 3, S, S) in [0,1] with autograd on, for the gradient with
   * respect to x; the module's mode is left as it is (eval, unless training). Callers hold a {@code
   * GradientCollector}, of which DJL allows one per process.
   */
  public NDArray differentiableLogits(NDArray x) {
    NDList out = IValueUtils.forward(block, new NDList(normalize(x)), true);
    return out.singletonOrThrow();
  }

  /**
   * A forward-only predictor of decoded images of any size: PIL-exact Resize + CenterCrop to the
   * card's input size, then the model. Not thread-safe: one per thread, closed after use.
   */
  public Predictor<RgbImage, float[]> newImagePredictor() {
    return model.newPredictor(LogitsTranslator.ofImages(card));
  }

  /**
   * A forward-only predictor of CHW float images in [0,1] at the input size (already preprocessed,
   * or perturbed). Not thread-safe: one per thread, closed after use.
   */
  public Predictor<float[], float[]> newChwPredictor() {
    return model.newPredictor(LogitsTranslator.ofChw(card));
  }

  /**
   * The model card's normalization, {@code (clamp(x, 0, 1) - mean) / std}, for a batch (N, 3, S,
   * S).
   */
  public NDArray normalize(NDArray x) {
    return x.clip(0f, 1f).sub(mean).div(std);
  }

  /** Weights frozen, BatchNorm in eval mode: scoring, enhancement and the adversary of training. */
  public void frozenEvalMode() {
    block.freezeParameters(true);
    JniUtils.enableInferenceMode(block);
  }

  /** Weights trainable, BatchNorm in train mode: the update step of training. */
  public void trainingMode() {
    block.freezeParameters(false);
    JniUtils.enableTrainingMode(block);
  }

  /**
   * Writes the module as plain TorchScript in eval mode (loadable by {@code torch.jit.load} and by
   * {@link #load}).
   */
  public void writeTorchScript(Path file) {
    JniUtils.enableInferenceMode(block);
    try (OutputStream out = Files.newOutputStream(file)) {
      JniUtils.writeModule(block, out, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** The DJL model, for training ({@code newTrainer}). */
  public Model model() {
    return model;
  }

  public NDManager manager() {
    return model.getNDManager();
  }

  public Device device() {
    return model.getNDManager().getDevice();
  }

  @Override
  public void close() {
    model.close();
  }
}
