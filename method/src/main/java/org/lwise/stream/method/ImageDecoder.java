package org.lwise.stream.method;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes JPEG, PNG, TIFF, BMP and GIF files to RGB the way PIL's {@code convert('RGB')} does:
 * grayscale replicated to three channels, alpha dropped (not premultiplied), palette looked up,
 * 16-bit samples clipped to 255 (PIL opens 16-bit grayscale PNGs as 32-bit "I" and clips when
 * converting). EXIF orientation is NOT applied, as in the reference.
 *
 * <p>Samples are read from the raster, not through {@code BufferedImage.getRGB}, which would apply
 * a colour-space conversion to gray images that PIL does not. An embedded ICC profile is ignored,
 * as PIL ignores it (see {@link #readParam}).
 */
public final class ImageDecoder {
  /**
   * Default {@link #ImageDecoder(long) pixel limit}. Decoding takes about 18 bytes per pixel at its
   * peak (the image, three int sample planes, the RGB copy), so two codec threads at this limit
   * stay under 2 GB of the worker's default 3 GB heap; real datasets (ImageNet, ISIC dermoscopy up
   * to about 24 MP) are far below it. PIL itself warns of a decompression bomb from 89.5 MP.
   */
  public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

  /** Largest limit accepted: {@code width × height × 3} must still fit in one Java array. */
  public static final long LARGEST_MAX_PIXELS = Integer.MAX_VALUE / 3;

  static {
    ImageIO.setUseCache(false);
  }

  private final long maxPixels;

  public ImageDecoder() {
    this(DEFAULT_MAX_PIXELS);
  }

  /**
   * @param maxPixels images declaring more pixels ({@code width × height}) are refused unread
   */
  public ImageDecoder(long maxPixels) {
    if (maxPixels < 1 || maxPixels > LARGEST_MAX_PIXELS) {
      throw new IllegalArgumentException(
          "pixel limit must be between 1 and " + LARGEST_MAX_PIXELS + ": " + maxPixels);
    }
    this.maxPixels = maxPixels;
  }

  /**
   * Throws {@link UndecodableImageException} with the reason when the bytes are not an image we
   * read. The declared size is checked against the pixel limit before any pixel buffer is
   * allocated, so a decompression bomb (a few kilobytes declaring gigapixels) costs nothing.
   */
  public RgbImage decode(byte[] bytes) {
    if (bytes.length == 0) {
      throw new UndecodableImageException("empty file (0 bytes)", null);
    }
    try (ImageInputStream input = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(input);
      if (!readers.hasNext()) {
        throw new UndecodableImageException(
            "not an image in a supported format (JPEG, PNG, TIFF, BMP, GIF); "
                + bytes.length
                + " bytes starting with "
                + leadingBytes(bytes),
            null);
      }
      ImageReader reader = readers.next();
      try {
        return toRgb(read(reader, input, formatName(reader)));
      } finally {
        reader.dispose();
      }
    } catch (IOException e) {
      // Only creating or closing the in-memory stream can get here.
      throw new UndecodableImageException("cannot read image bytes: " + e, e);
    }
  }

  private BufferedImage read(ImageReader reader, ImageInputStream input, String format) {
    reader.setInput(input, true, true);
    int width;
    int height;
    try {
      width = reader.getWidth(0);
      height = reader.getHeight(0);
    } catch (IOException | RuntimeException e) {
      throw new UndecodableImageException("corrupt " + format + " header: " + reason(e), e);
    }
    long pixels = (long) width * height;
    if (pixels > maxPixels) {
      throw new UndecodableImageException(
          format
              + " of "
              + width
              + "×"
              + height
              + " = "
              + pixels
              + " pixels is larger than the limit of "
              + maxPixels
              + " pixels (worker.max.image.pixels)",
          null);
    }
    TruncationWarnings truncation = new TruncationWarnings();
    reader.addIIOReadWarningListener(truncation);
    BufferedImage image;
    try {
      image = reader.read(0, readParam(reader, format));
    } catch (IOException | RuntimeException e) {
      throw new UndecodableImageException(
          "truncated or corrupt " + format + " data (" + width + "×" + height + "): " + reason(e),
          e);
    }
    if (truncation.warning != null) {
      // The JDK fills a truncated JPEG with gray and only warns; PIL refuses it ("image file is
      // truncated"), so do we.
      throw new UndecodableImageException(
          "truncated " + format + " (" + width + "×" + height + "): " + truncation.warning, null);
    }
    return image;
  }

  /**
   * PIL ignores an embedded ICC profile: a tagged JPEG decodes to libjpeg's plain YCbCr→RGB (or
   * RGB) output (SPEC.md). The JDK's JPEG reader instead converts every scanline from the embedded
   * profile to sRGB with a ColorConvertOp (an sRGB-tagged file then differs from PIL by one level
   * here and there, a linear-RGB-tagged one by up to 73 levels). Naming the source bands keeps
   * libjpeg's output as it is: with bands selected the reader leaves out any conversion of its own
   * ("if we are rearranging channels at all, the default conversions remain in place",
   * JPEGImageReader.checkColorConversion). The other way out, reading into the profile's own colour
   * space, fails for some profiles (the reader rebuilds that colour space when it reads the header
   * again, then rejects its own type). Untagged files are converted by neither path, and gray JPEGs
   * never, so they decode exactly as before. The other formats' readers attach a profile to the
   * colour model only; toRgb reads the samples.
   */
  private static ImageReadParam readParam(ImageReader reader, String format) throws IOException {
    ImageReadParam param = reader.getDefaultReadParam();
    if ("JPEG".equals(format)) {
      Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
      if (types.hasNext() && types.next().getNumBands() == 3) {
        param.setSourceBands(new int[] {0, 1, 2});
      }
    }
    return param;
  }

  /** Records the JPEG reader's warning that the data ended before the image did. */
  private static final class TruncationWarnings implements IIOReadWarningListener {
    String warning;

    @Override
    public void warningOccurred(ImageReader source, String message) {
      String lower = message.toLowerCase(Locale.ROOT);
      if (warning == null && (lower.contains("premature end") || lower.contains("truncated"))) {
        warning = message;
      }
    }
  }

  private static String formatName(ImageReader reader) {
    ImageReaderSpi provider = reader.getOriginatingProvider();
    return provider == null ? "image" : provider.getFormatNames()[0].toUpperCase(Locale.ROOT);
  }

  private static String reason(Throwable e) {
    StringBuilder reason = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable cause = e.getCause();
        cause != null && cause != cause.getCause();
        cause = cause.getCause()) {
      reason.append(" (").append(cause.getClass().getSimpleName());
      if (cause.getMessage() != null) {
        reason.append(": ").append(cause.getMessage());
      }
      reason.append(')');
    }
    return reason.toString();
  }

  /**
   * The first bytes, printable ASCII as text, so a text file or an HTML error page is recognisable.
   */
  private static String leadingBytes(byte[] bytes) {
    StringBuilder text = new StringBuilder("\"");
    for (int i = 0; i < Math.min(16, bytes.length); i++) {
      int b = bytes[i] & 0xFF;
      text.append(
          b >= 0x20 && b < 0x7F && b != '\\' && b != '"'
              ? String.valueOf((char) b)
              : String.format("\\x%02x", b));
    }
    return text.append(bytes.length > 16 ? "…\"" : "\"").toString();
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
      throw new UndecodableImageException(
          "CMYK images are not supported; convert them to RGB first", null);
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
