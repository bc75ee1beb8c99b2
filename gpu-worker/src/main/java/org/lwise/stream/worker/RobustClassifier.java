package org.lwise.stream.worker;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.lwise.stream.common.ModelCard;

/**
 * A TorchScript classifier loaded with DJL's PyTorch engine, with its model card's normalization
 * in front: {@code logits(x) = f((clamp(x, 0, 1) - mean) / std)} for x in [0,1].
 *
 * <p>Loaded with {@code trainParam=true} and then frozen, so that autograd reaches the input while
 * the weights stay fixed; BatchNorm stays in eval mode (see STACK.md). One per process.
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
    this.mean = manager.create(toFloats(card.mean().stream().mapToDouble(Double::doubleValue).toArray()), new Shape(1, 3, 1, 1));
    this.std = manager.create(toFloats(card.std().stream().mapToDouble(Double::doubleValue).toArray()), new Shape(1, 3, 1, 1));
  }

  /** Loads the model named by a model card (the card file or its folder) on the {@code auto} device. */
  public static RobustClassifier load(Path cardPath) {
    return load(cardPath, InferenceDevice.select(InferenceDevice.AUTO));
  }

  /** Loads the model named by a model card (the card file or its folder) on {@code device}. */
  public static RobustClassifier load(Path cardPath, Device device) {
    ModelCard card = ModelCard.read(cardPath);
    Path folder = ModelCard.folder(cardPath);
    Path file = folder.resolve(card.file());
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("model file " + file + " named by the model card does not exist");
    }
    String name = card.file().endsWith(".pt") ? card.file().substring(0, card.file().length() - 3) : card.file();
    Model model = Model.newInstance(card.id(), device, "PyTorch");
    try {
      model.load(folder, name, Map.of("trainParam", "true"));
    } catch (IOException e) {
      model.close();
      throw new UncheckedIOException("cannot load model " + file, e);
    } catch (MalformedModelException e) {
      model.close();
      throw new IllegalArgumentException("model " + file + " is not a TorchScript module DJL can load: " + e.getMessage(), e);
    }
    PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
    block.freezeParameters(true);
    // DJL assumes a freshly loaded module is in train mode; make eval mode explicit (BatchNorm).
    JniUtils.enableInferenceMode(block);
    return new RobustClassifier(card, model, block);
  }

  public ModelCard card() {
    return card;
  }

  /** Logits (N, K) of a batch x (N, 3, S, S) in [0,1]; differentiable with respect to x. */
  public NDArray logits(NDArray x) {
    NDList out = IValueUtils.forward(block, new NDList(normalize(x)), true);
    return out.singletonOrThrow();
  }

  /** The model card's normalization, {@code (clamp(x, 0, 1) - mean) / std}. */
  public NDArray normalize(NDArray x) {
    return x.clip(0f, 1f).sub(mean).div(std);
  }

  /** The DJL model, for training ({@code newTrainer}). */
  public Model model() {
    return model;
  }

  public PtSymbolBlock block() {
    return block;
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

  private static float[] toFloats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }
}
