package org.lwise.stream.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The random views of SPEC.md's multi-view variant, differentiable so the gradient flows through
 * them: brightness {@code x·u}; saturation {@code (x − m_c)·u + m_c} (m_c the per-pixel channel
 * mean); contrast {@code (x − m)·u + m} (m the image mean), each u ~ U(0.8, 1.2) per image;
 * translation by integer shifts in [−s, s], s = round(0.125·size), zero fill; resize by one factor
 * ~ U(0.8, 1.2) for the whole batch (bilinear, align_corners false), centred zero padding when
 * smaller, top-left crop when larger; cutout, a square of round(0.5·size) zeroed at a uniformly
 * random position.
 *
 * <p>Shifts and resizing are written as multiplications by 0/1 and interpolation matrices ({@code
 * out = R_y · x · R_xᵀ}), which is exact for shifts and the same arithmetic as bilinear
 * interpolation, and keeps everything inside autograd.
 */
public final class ViewAugmentation {
  /** The augmentation types, in the order they are applied. */
  public enum Type {
    COLOR,
    TRANSLATION,
    RESIZE,
    CUTOUT;

    public static Type parse(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT));
    }
  }

  public static final List<Type> DEFAULT_TYPES =
      List.of(Type.COLOR, Type.TRANSLATION, Type.RESIZE, Type.CUTOUT);

  private ViewAugmentation() {}

  /**
   * One random view of a batch x (N, 3, S, S). Image i's draws come from {@code perImage.get(i)},
   * so its view does not depend on which images share its batch; the one resize factor SPEC.md
   * draws per batch comes from {@code batchWide}.
   */
  public static NDArray view(NDArray x, List<Type> types, List<Random> perImage, Random batchWide) {
    NDManager manager = x.getManager();
    int n = (int) x.getShape().get(0);
    if (perImage.size() != n) {
      throw new IllegalArgumentException(perImage.size() + " random sources for a batch of " + n);
    }
    int size = (int) x.getShape().get(2);
    NDArray v = x;
    for (Type type : types) {
      switch (type) {
        case COLOR -> {
          NDArray brightness = factors(manager, perImage);
          v = v.mul(brightness);
          NDArray saturation = factors(manager, perImage);
          NDArray channelMean = v.mean(new int[] {1}, true);
          v = v.sub(channelMean).mul(saturation).add(channelMean);
          NDArray contrast = factors(manager, perImage);
          NDArray imageMean = v.reshape(n, -1).mean(new int[] {1}, true).reshape(n, 1, 1, 1);
          v = v.sub(imageMean).mul(contrast).add(imageMean);
        }
        case TRANSLATION -> {
          int s = (int) Math.round(0.125 * size);
          float[] rows = new float[n * size * size];
          float[] cols = new float[n * size * size];
          for (int i = 0; i < n; i++) {
            int dy = perImage.get(i).nextInt(2 * s + 1) - s;
            int dx = perImage.get(i).nextInt(2 * s + 1) - s;
            shiftMatrix(rows, i, size, dy);
            shiftMatrix(cols, i, size, dx);
          }
          NDArray ry = manager.create(rows, new Shape(n, 1, size, size));
          NDArray rxT = manager.create(cols, new Shape(n, 1, size, size)).transpose(0, 1, 3, 2);
          v = ry.matMul(v).matMul(rxT);
        }
        case RESIZE -> {
          double factor = 0.8 + 0.4 * batchWide.nextDouble();
          float[] r = resizeMatrix(size, factor);
          NDArray ry = manager.create(r, new Shape(1, 1, size, size));
          NDArray rxT = ry.transpose(0, 1, 3, 2);
          v = ry.matMul(v).matMul(rxT);
        }
        case CUTOUT -> {
          int cut = (int) Math.round(0.5 * size);
          float[] mask = new float[n * size * size];
          Arrays.fill(mask, 1f);
          for (int i = 0; i < n; i++) {
            int top = perImage.get(i).nextInt(size - cut + 1);
            int left = perImage.get(i).nextInt(size - cut + 1);
            for (int y = top; y < top + cut; y++) {
              for (int xx = left; xx < left + cut; xx++) {
                mask[i * size * size + y * size + xx] = 0f;
              }
            }
          }
          v = v.mul(manager.create(mask, new Shape(n, 1, size, size)));
        }
        default -> throw new IllegalStateException("unknown augmentation " + type);
      }
    }
    return v;
  }

  private static NDArray factors(NDManager manager, List<Random> perImage) {
    int n = perImage.size();
    float[] u = new float[n];
    for (int i = 0; i < n; i++) {
      u[i] = (float) (0.8 + 0.4 * perImage.get(i).nextDouble());
    }
    return manager.create(u, new Shape(n, 1, 1, 1));
  }

  /** Row i of the output takes row i − shift of the input (zero outside). */
  static void shiftMatrix(float[] into, int image, int size, int shift) {
    int base = image * size * size;
    for (int out = 0; out < size; out++) {
      int in = out - shift;
      if (in >= 0 && in < size) {
        into[base + out * size + in] = 1f;
      }
    }
  }

  /**
   * Bilinear resize by {@code factor} (PyTorch's {@code interpolate(scale_factor=f,
   * align_corners=False)}: source coordinate (dst + 0.5) / f − 0.5, clamped at 0), to floor(size·f)
   * pixels, then centred zero padding back to {@code size} when smaller or a top-left crop when
   * larger — as one size×size matrix.
   */
  static float[] resizeMatrix(int size, double factor) {
    int scaled = (int) Math.floor(size * factor);
    float[] m = new float[size * size];
    int offset = scaled < size ? (size - scaled) / 2 : 0;
    for (int dst = 0; dst < Math.min(scaled, size); dst++) {
      double src = Math.max(0, (dst + 0.5) / factor - 0.5);
      int lo = Math.min((int) Math.floor(src), size - 1);
      int hi = Math.min(lo + 1, size - 1);
      double w = src - lo;
      int row = dst + offset;
      m[row * size + lo] += (float) (1 - w);
      m[row * size + hi] += (float) w;
    }
    return m;
  }
}
