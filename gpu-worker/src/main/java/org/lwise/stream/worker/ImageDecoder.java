package org.lwise.stream.worker;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Decodes JPEG, PNG, TIFF, BMP and GIF files to RGB the way PIL's {@code convert('RGB')} does:
 * grayscale replicated to three channels, alpha dropped (not premultiplied), palette looked up,
 * 16-bit samples clipped to 255 (PIL opens 16-bit grayscale PNGs as 32-bit "I" and clips when
 * converting). EXIF orientation is NOT applied, as in the reference.
 *
 * <p>Samples are read from the raster, not through {@code BufferedImage.getRGB}, which would apply
 * a colour-space conversion to gray images that PIL does not.
 */
public final class ImageDecoder {
  static {
    ImageIO.setUseCache(false);
  }

  /** Throws {@link UndecodableImageException} with the reason when the bytes are not an image we read. */
  public RgbImage decode(byte[] bytes) {
    BufferedImage image;
    try {
      image = ImageIO.read(new ByteArrayInputStream(bytes));
    } catch (IOException | RuntimeException e) {
      throw new UndecodableImageException("cannot decode image: " + e.getMessage(), e);
    }
    if (image == null) {
      throw new UndecodableImageException("not an image in a supported format (JPEG, PNG, TIFF, BMP, GIF)", null);
    }
    return toRgb(image);
  }

  static RgbImage toRgb(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] out = new byte[w * h * 3];
    ColorModel colorModel = image.getColorModel();
    Raster raster = image.getRaster();
    if (colorModel instanceof IndexColorModel palette) {
      int[] index = raster.getSamples(0, 0, w, h, 0, (int[]) null);
      for (int i = 0; i < index.length; i++) {
        out[3 * i] = (byte) palette.getRed(index[i]);
        out[3 * i + 1] = (byte) palette.getGreen(index[i]);
        out[3 * i + 2] = (byte) palette.getBlue(index[i]);
      }
      return new RgbImage(w, h, out);
    }
    int bands = raster.getNumBands();
    boolean wide = raster.getDataBuffer().getDataType() != DataBuffer.TYPE_BYTE;
    int colorBands = colorModel.getNumColorComponents();
    if (colorBands == 4) {
      throw new UndecodableImageException("CMYK images are not supported; convert them to RGB first", null);
    }
    int[] first = raster.getSamples(0, 0, w, h, 0, (int[]) null);
    if (colorBands == 1 || bands < 3) {
      for (int i = 0; i < first.length; i++) {
        byte v = (byte) sample8(first[i], wide, raster.getSampleModel().getSampleSize(0));
        out[3 * i] = v;
        out[3 * i + 1] = v;
        out[3 * i + 2] = v;
      }
      return new RgbImage(w, h, out);
    }
    int[] second = raster.getSamples(0, 0, w, h, 1, (int[]) null);
    int[] third = raster.getSamples(0, 0, w, h, 2, (int[]) null);
    int bits = raster.getSampleModel().getSampleSize(0);
    for (int i = 0; i < first.length; i++) {
      // PIL reads 16-bit RGB PNGs by keeping the high byte.
      out[3 * i] = (byte) (wide ? first[i] >> (bits - 8) : first[i]);
      out[3 * i + 1] = (byte) (wide ? second[i] >> (bits - 8) : second[i]);
      out[3 * i + 2] = (byte) (wide ? third[i] >> (bits - 8) : third[i]);
    }
    return new RgbImage(w, h, out);
  }

  private static int sample8(int value, boolean wide, int bits) {
    if (!wide) {
      return bits < 8 ? value * 255 / ((1 << bits) - 1) : value;
    }
    return Math.min(255, Math.max(0, value));
  }

  /** Bad input: the bytes are not an image this decoder reads. */
  public static final class UndecodableImageException extends RuntimeException {
    public UndecodableImageException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
