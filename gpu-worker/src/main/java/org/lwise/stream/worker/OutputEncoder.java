package org.lwise.stream.worker;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.lwise.stream.common.OutputPaths;
import org.lwise.stream.method.RgbImage;
import org.lwise.stream.schema.ImageFormat;

/**
 * Writes output images (8-bit, see {@link RgbImage#fromChw}). PNG (default) keeps the perturbation
 * exactly; SOURCE re-encodes in the input file's format like the reference (JPEG at quality 75,
 * which loses part of the perturbation).
 */
public final class OutputEncoder {
  /**
   * The PNG writer before {@link PngEncoder}: adaptive filters, deflate level 9 (for comparisons).
   */
  public static final String IMAGEIO = "imageio";

  /** An encoded image with its output path and content type. */
  public record Encoded(String path, String contentType, byte[] bytes) {}

  private final PngEncoder png;

  /** ImageIO's PNG writer. */
  public OutputEncoder() {
    this(null);
  }

  /**
   * @param png how PNGs are written; null for ImageIO's writer
   */
  public OutputEncoder(PngEncoder png) {
    this.png = png;
  }

  /**
   * The encoder for {@code worker.png.filter} (a {@link PngEncoder.Filter} or {@value #IMAGEIO})
   * and a deflate level.
   */
  public static OutputEncoder of(String pngFilter, int deflateLevel) {
    return new OutputEncoder(
        pngFilter.equalsIgnoreCase(IMAGEIO)
            ? null
            : new PngEncoder(PngEncoder.Filter.parse(pngFilter), deflateLevel));
  }

  /**
   * Where the output of {@code imPath} goes: the rule ingest also uses to refuse colliding rows.
   */
  public static String outputPath(String imPath, ImageFormat format) {
    return OutputPaths.of(imPath, format);
  }

  public Encoded encode(RgbImage image, String imPath, ImageFormat format) {
    String path = outputPath(imPath, format);
    String lower = path.toLowerCase(Locale.ROOT);
    String type;
    if (format == ImageFormat.PNG || lower.endsWith(".png")) {
      type = "png";
    } else if (lower.endsWith(".jpg") || lower.endsWith(".jpeg")) {
      type = "jpeg";
    } else if (lower.endsWith(".tif") || lower.endsWith(".tiff")) {
      type = "tiff";
    } else if (lower.endsWith(".bmp")) {
      type = "bmp";
    } else {
      type = "png";
    }
    byte[] bytes =
        type.equals("png") && png != null
            ? png.encode(image.pixels(), image.width(), image.height())
            : write(image, type);
    return new Encoded(path, "image/" + type, bytes);
  }

  private static byte[] write(RgbImage image, String type) {
    BufferedImage buffered =
        new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
    byte[] target = ((DataBufferByte) buffered.getRaster().getDataBuffer()).getData();
    byte[] rgb = image.pixels();
    for (int i = 0; i < rgb.length; i += 3) {
      target[i] = rgb[i + 2];
      target[i + 1] = rgb[i + 1];
      target[i + 2] = rgb[i];
    }
    ImageWriter writer = ImageIO.getImageWritersByFormatName(type).next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      if (type.equals("jpeg")) {
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.75f); // PIL's default quality 75
      }
      writer.write(null, new IIOImage(buffered, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + type, e);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }
}
