package org.lwise.stream.method;

/**
 * torchvision's {@code Resize(size)} (shorter side to {@code size}, aspect kept, PIL bilinear with
 * antialiasing) then {@code CenterCrop(size)} then {@code ToTensor()} ([0,1] float, CHW).
 */
public final class Preprocessor {
  private final int size;

  public Preprocessor(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("input size must be >= 1, got " + size);
    }
    this.size = size;
  }

  public int size() {
    return size;
  }

  /** The resized and cropped 8-bit image (what {@code save_originals} writes). */
  public RgbImage resizeAndCrop(RgbImage image) {
    int w = image.width();
    int h = image.height();
    int newW;
    int newH;
    // torchvision: new_long = int(size * long / short), truncated.
    if (w <= h) {
      newW = size;
      newH = (int) ((double) ((long) size * h) / w);
    } else {
      newH = size;
      newW = (int) ((double) ((long) size * w) / h);
    }
    RgbImage resized =
        (w <= h && w == size) || (h <= w && h == size)
            ? image
            : PilResize.resize(image, newW, newH);
    return centerCrop(resized);
  }

  private RgbImage centerCrop(RgbImage image) {
    if (image.width() < size || image.height() < size) {
      throw new IllegalStateException(
          "image smaller than the crop after resizing: " + image.width() + "x" + image.height());
    }
    // Python's round() is half-to-even; Math.rint is too.
    int top = (int) Math.rint((image.height() - size) / 2.0);
    int left = (int) Math.rint((image.width() - size) / 2.0);
    byte[] out = new byte[size * size * 3];
    for (int y = 0; y < size; y++) {
      System.arraycopy(
          image.pixels(), ((y + top) * image.width() + left) * 3, out, y * size * 3, size * 3);
    }
    return new RgbImage(size, size, out);
  }

  /** CHW floats in [0,1], value/255. */
  public static float[] toChw(RgbImage image) {
    int plane = image.width() * image.height();
    float[] chw = new float[3 * plane];
    byte[] px = image.pixels();
    for (int i = 0; i < plane; i++) {
      chw[i] = (px[3 * i] & 0xFF) / 255f;
      chw[plane + i] = (px[3 * i + 1] & 0xFF) / 255f;
      chw[2 * plane + i] = (px[3 * i + 2] & 0xFF) / 255f;
    }
    return chw;
  }
}
