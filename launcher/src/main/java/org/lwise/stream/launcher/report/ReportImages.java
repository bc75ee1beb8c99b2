package org.lwise.stream.launcher.report;

import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.method.RgbImage;

/**
 * The report's pictures as data URIs, so the page stands alone: crops shrunk to a display size
 * (small ones kept as lossless PNG, larger ones as JPEG to keep the page small), and perturbation
 * maps |x_eps − x0| summed over channels, coloured on a shared scale.
 */
final class ReportImages {
  /** Viridis at five stops: perceptually even, dark = no change. */
  static final int[][] COLOUR_MAP = {
    {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}
  };

  /** Up to this side an image is embedded as PNG, pixel for pixel. */
  private static final int PNG_UP_TO = 64;

  private final ImageDecoder decoder = new ImageDecoder();

  /** The image at {@code file}, or null when the output folder has no copy of it. */
  RgbImage read(Path file) {
    if (file == null || !Files.isRegularFile(file)) {
      return null;
    }
    try {
      return decoder.decode(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** A data URI of the image, at most {@code side} pixels on its longer side. */
  String dataUri(RgbImage image, int side) {
    return encode(shrink(toBuffered(image), side));
  }

  /**
   * Per pixel, Σ_c |a_c − b_c| / 255: the change in [0,1] units summed over the channels (0 to 3).
   * Null when the images differ in size.
   */
  static double[] perturbation(RgbImage natural, RgbImage enhanced) {
    if (natural.width() != enhanced.width() || natural.height() != enhanced.height()) {
      return null;
    }
    double[] map = new double[natural.width() * natural.height()];
    byte[] a = natural.pixels();
    byte[] b = enhanced.pixels();
    for (int i = 0; i < map.length; i++) {
      for (int c = 0; c < 3; c++) {
        map[i] += Math.abs((a[3 * i + c] & 0xFF) - (b[3 * i + c] & 0xFF)) / 255.0;
      }
    }
    return map;
  }

  /** The map coloured from 0 (first stop) to {@code scale} (last stop) as a data URI. */
  String heatMap(double[] map, int width, int height, double scale, int side) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, colour(scale > 0 ? map[y * width + x] / scale : 0));
      }
    }
    return encode(shrink(image, side));
  }

  /** The colour of t in [0,1], linear between the map's stops. */
  static int colour(double t) {
    double position = Math.max(0, Math.min(1, t)) * (COLOUR_MAP.length - 1);
    int i = Math.min((int) position, COLOUR_MAP.length - 2);
    double f = position - i;
    int rgb = 0;
    for (int c = 0; c < 3; c++) {
      int v = (int) Math.round(COLOUR_MAP[i][c] + f * (COLOUR_MAP[i + 1][c] - COLOUR_MAP[i][c]));
      rgb = (rgb << 8) | v;
    }
    return rgb;
  }

  /** The colour map as a CSS gradient, for the scale bar beside the maps. */
  static String cssGradient() {
    StringBuilder css = new StringBuilder("linear-gradient(to right");
    for (int[] stop : COLOUR_MAP) {
      css.append(String.format(", rgb(%d,%d,%d)", stop[0], stop[1], stop[2]));
    }
    return css.append(')').toString();
  }

  private static BufferedImage toBuffered(RgbImage image) {
    BufferedImage out =
        new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < image.height(); y++) {
      for (int x = 0; x < image.width(); x++) {
        out.setRGB(
            x, y, (image.get(x, y, 0) << 16) | (image.get(x, y, 1) << 8) | image.get(x, y, 2));
      }
    }
    return out;
  }

  private static BufferedImage shrink(BufferedImage image, int side) {
    int longer = Math.max(image.getWidth(), image.getHeight());
    if (longer <= side) {
      return image;
    }
    int w = Math.max(1, image.getWidth() * side / longer);
    int h = Math.max(1, image.getHeight() * side / longer);
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    var g = out.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
    g.drawImage(image, 0, 0, w, h, null);
    g.dispose();
    return out;
  }

  private static String encode(BufferedImage image) {
    boolean png = Math.max(image.getWidth(), image.getHeight()) <= PNG_UP_TO;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      if (png) {
        ImageIO.write(image, "png", bytes);
      } else {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        ImageWriter writer = writers.next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.9f);
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(bytes)) {
          writer.setOutput(stream);
          writer.write(null, new IIOImage(image, null, null), param);
        } finally {
          writer.dispose();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "data:image/"
        + (png ? "png" : "jpeg")
        + ";base64,"
        + Base64.getEncoder().encodeToString(bytes.toByteArray());
  }
}
