package org.lwise.stream.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;

/**
 * The two foveated views of the multi-view variant, differentiable in x: {@code foveate}, a
 * cortical-magnification warp, and {@code foveal_blur}, a blur growing with eccentricity. Both are
 * centred on a fixation point drawn per image, uniform in the central half of the image.
 *
 * <p>Coordinates are normalized as PyTorch's {@code grid_sample} with {@code align_corners=False}
 * reads them: pixel i of a side of S sits at {@code u = (2i + 1)/S − 1}, so the image spans [−1,
 * 1]². The fixation is {@code f ~ U(−0.5, 0.5)²}; r is a pixel's distance from it.
 *
 * <p>foveate: the output pixel at {@code f + d} (|d| = r) samples the input at {@code f + d ·
 * ρ(r)/r}, bilinearly, clamped at the border, with {@code ρ(r) = A·(exp(k·r) − 1)}, {@code k = ln(1
 * + R/A)/R}, A = {@link #FOVEA}, R = 2√2 (the longest distance in the square). ρ(0) = 0 (the
 * fixation stays where it is), ρ(R) = R, and the radial magnification {@code 1/ρ'(r) =
 * 1/(A·k·exp(k·r))} falls monotonically with eccentricity (about 2.1× at the fixation, 0.55× at
 * distance R) — the 1/(e + e0) law of cortical magnification. Since ρ(r) < r, every sample lies
 * between the fixation and the output pixel: inside the image. The sampling grid depends only on f,
 * so the view is linear in x and the gradient flows through the interpolation weights (a {@code
 * gather} of the four neighbours).
 *
 * <p>foveal_blur: {@code out = Σ_{k=0..L} w_k · B_k}, B_0 = x and B_k the separable Gaussian blur
 * of x with σ_k = k·{@link #BLUR_SIGMA}·S pixels (kernel radius ⌈3σ_k⌉, weights renormalized at the
 * border so a flat image stays flat), L = {@link #BLUR_LEVELS}; the blend weights are the linear
 * interpolation between levels at {@code ℓ(r) = min(L, r / }{@link #BLUR_STEP}{@code )}: {@code w_k
 * = max(0, 1 − |ℓ − k|)}. So the fixation is sharp and full blur is reached at r = 1.5.
 */
final class FoveatedViews {
  /** A: the foveal scale of the warp, in normalized units (the image is 2 wide). */
  static final double FOVEA = 1.0;

  /** R: the longest distance within [−1, 1]². */
  static final double MAX_RADIUS = 2 * Math.sqrt(2);

  /** Blur levels above the sharp image. */
  static final int BLUR_LEVELS = 3;

  /** σ of level 1 as a fraction of the image side. */
  static final double BLUR_SIGMA = 0.02;

  /** Eccentricity per blur level, normalized units. */
  static final double BLUR_STEP = 0.5;

  private FoveatedViews() {}

  /** Per image, (fx, fy) ~ U(−0.5, 0.5)², drawn in that order. */
  static float[] fixations(List<Random> perImage) {
    float[] f = new float[2 * perImage.size()];
    for (int i = 0; i < perImage.size(); i++) {
      f[2 * i] = (float) (perImage.get(i).nextDouble() - 0.5);
      f[2 * i + 1] = (float) (perImage.get(i).nextDouble() - 0.5);
    }
    return f;
  }

  /** ρ(r): the source radius the warp reads output radius r from. */
  static double sourceRadius(double r) {
    return FOVEA * Math.expm1(warpRate() * r);
  }

  private static double warpRate() {
    return Math.log1p(MAX_RADIUS / FOVEA) / MAX_RADIUS;
  }

  /** foveate for x (N, C, S, S) around {@code fixations} (fx, fy per image). */
  static NDArray foveate(NDArray x, float[] fixations) {
    NDManager manager = x.getManager();
    int n = (int) x.getShape().get(0);
    int c = (int) x.getShape().get(1);
    int size = (int) x.getShape().get(2);
    int pixels = size * size;
    Offsets o = offsets(manager, fixations, n, size);
    float k = (float) warpRate();
    // ρ(r)/r = A·expm1(k·r)/r; near r = 0 (where float expm1 loses its digits) its series A·k·(1 +
    // k·r/2).
    NDArray series = o.r.mul(k / 2).add(1f).mul((float) (FOVEA * k));
    NDArray exact = o.r.mul(k).exp().sub(1f).mul((float) FOVEA).div(o.r.maximum(1e-3f));
    NDArray scale = NDArrays.where(o.r.lt(1e-3f), series, exact);
    NDArray px = pixelCoordinate(o.fx.add(o.dx.mul(scale)), size);
    NDArray py = pixelCoordinate(o.fy.add(o.dy.mul(scale)), size);
    NDArray x0 = px.floor();
    NDArray y0 = py.floor();
    NDArray wx = px.sub(x0);
    NDArray wy = py.sub(y0);
    NDArray x1 = x0.add(1f).minimum(size - 1f);
    NDArray y1 = y0.add(1f).minimum(size - 1f);
    // The four neighbours, top-left, top-right, bottom-left, bottom-right, one after the other.
    NDArray index =
        flatConcat(
                n,
                pixels,
                y0.mul(size).add(x0),
                y0.mul(size).add(x1),
                y1.mul(size).add(x0),
                y1.mul(size).add(x1))
            .toType(DataType.INT64, false);
    NDArray weights =
        flatConcat(
                n,
                pixels,
                wy.neg().add(1f).mul(wx.neg().add(1f)),
                wy.neg().add(1f).mul(wx),
                wy.mul(wx.neg().add(1f)),
                wy.mul(wx))
            .reshape(n, 1, 4, pixels);
    NDArray neighbours =
        x.reshape(n, c, pixels).gather(index.broadcast(new Shape(n, c, 4L * pixels)), 2);
    return neighbours
        .reshape(n, c, 4, pixels)
        .mul(weights)
        .sum(new int[] {2})
        .reshape(n, c, size, size);
  }

  /** foveal_blur for x (N, C, S, S) around {@code fixations}. */
  static NDArray fovealBlur(NDArray x, float[] fixations) {
    NDManager manager = x.getManager();
    int n = (int) x.getShape().get(0);
    int size = (int) x.getShape().get(2);
    Offsets o = offsets(manager, fixations, n, size);
    NDArray level =
        o.r.div((float) BLUR_STEP).minimum((float) BLUR_LEVELS).reshape(n, 1, size, size);
    NDArray out = x.mul(blendWeight(level, 0));
    for (int k = 1; k <= BLUR_LEVELS; k++) {
      NDArray g =
          manager.create(gaussianMatrix(size, k * BLUR_SIGMA * size), new Shape(1, 1, size, size));
      NDArray blurred = g.matMul(x).matMul(g.transpose(0, 1, 3, 2));
      out = out.add(blurred.mul(blendWeight(level, k)));
    }
    return out;
  }

  /** w_k = max(0, 1 − |ℓ − k|). */
  private static NDArray blendWeight(NDArray level, int k) {
    return level.sub((float) k).abs().neg().add(1f).maximum(0f);
  }

  /**
   * The Gaussian blur of σ pixels along one axis as a size×size matrix: row i holds exp(−(j −
   * i)²/2σ²) for |j − i| ≤ ⌈3σ⌉ and j inside the image, normalized to sum 1.
   */
  static float[] gaussianMatrix(int size, double sigma) {
    float[] m = new float[size * size];
    int radius = (int) Math.ceil(3 * sigma);
    for (int i = 0; i < size; i++) {
      double sum = 0;
      for (int j = Math.max(0, i - radius); j <= Math.min(size - 1, i + radius); j++) {
        sum += Math.exp(-(j - i) * (j - i) / (2 * sigma * sigma));
      }
      for (int j = Math.max(0, i - radius); j <= Math.min(size - 1, i + radius); j++) {
        m[i * size + j] = (float) (Math.exp(-(j - i) * (j - i) / (2 * sigma * sigma)) / sum);
      }
    }
    return m;
  }

  /**
   * Normalized pixel-centre coordinates minus the fixation, and their distance r; all (N, S, S).
   */
  private record Offsets(NDArray fx, NDArray fy, NDArray dx, NDArray dy, NDArray r) {}

  private static Offsets offsets(NDManager manager, float[] fixations, int n, int size) {
    float[] fx = new float[n];
    float[] fy = new float[n];
    for (int i = 0; i < n; i++) {
      fx[i] = fixations[2 * i];
      fy[i] = fixations[2 * i + 1];
    }
    NDArray centres =
        manager.arange(size).toType(DataType.FLOAT32, false).mul(2f / size).add(1f / size - 1f);
    NDArray fxs = manager.create(fx, new Shape(n, 1, 1));
    NDArray fys = manager.create(fy, new Shape(n, 1, 1));
    NDArray dx = centres.reshape(1, 1, size).sub(fxs).broadcast(new Shape(n, size, size));
    NDArray dy = centres.reshape(1, size, 1).sub(fys).broadcast(new Shape(n, size, size));
    NDArray r = dx.square().add(dy.square()).sqrt();
    return new Offsets(fxs, fys, dx, dy, r);
  }

  /** Normalized coordinate → pixel coordinate, clamped to the image (border sampling). */
  private static NDArray pixelCoordinate(NDArray u, int size) {
    return u.add(1f).mul(size / 2f).sub(0.5f).clip(0, size - 1);
  }

  /** (N, S, S) arrays flattened to (N, 1, S·S) and concatenated along the last axis. */
  private static NDArray flatConcat(int n, int pixels, NDArray... parts) {
    NDList flat = new NDList();
    for (NDArray part : parts) {
      flat.add(part.reshape(n, 1, pixels));
    }
    return NDArrays.concat(flat, 2);
  }
}
