package org.lwise.stream.launcher;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/** Generated inputs and scratch folders of the pipeline benchmarks. */
final class BenchImages {
  private BenchImages() {}

  /**
   * {@code count} JPEGs of {@code size} px under {@code root/images} and their dirmap (7 classes):
   * smooth colour fields with a little noise, photo-like for the decoder and for PNG sizes.
   */
  static Path writeDataset(Path root, int count, int size) throws IOException {
    Files.createDirectories(root.resolve("images"));
    StringBuilder csv = new StringBuilder("\"\",split,class,class_num,im_path\n");
    Random random = new Random(42);
    for (int i = 0; i < count; i++) {
      BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
      double[][] blobs = new double[5][6];
      for (double[] b : blobs) {
        for (int j = 0; j < b.length; j++) {
          b[j] = random.nextDouble();
        }
      }
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          double[] rgb = new double[3];
          for (double[] b : blobs) {
            double dx = x / (double) size - b[0];
            double dy = y / (double) size - b[1];
            double w = Math.exp(-(dx * dx + dy * dy) / (0.02 + 0.1 * b[2]));
            rgb[0] += w * b[3];
            rgb[1] += w * b[4];
            rgb[2] += w * b[5];
          }
          int pixel = 0;
          for (int c = 0; c < 3; c++) {
            int v = (int) Math.max(0, Math.min(255, 40 + 160 * rgb[c] + random.nextGaussian() * 4));
            pixel = (pixel << 8) | v;
          }
          image.setRGB(x, y, pixel);
        }
      }
      String name = String.format(Locale.ROOT, "images/img-%04d.jpg", i);
      ImageIO.write(image, "jpeg", root.resolve(name).toFile());
      csv.append(i)
          .append(",train,c")
          .append(i % 7)
          .append(',')
          .append(i % 7)
          .append(',')
          .append(name)
          .append('\n');
    }
    Path dirmap = root.resolve("dirmap.csv");
    Files.writeString(dirmap, csv);
    return dirmap;
  }

  /** A dirmap of the first {@code rows} rows of {@code dirmap}, beside it. */
  static Path firstRows(Path dirmap, int rows, String name) throws IOException {
    List<String> lines = Files.readAllLines(dirmap);
    Path csv = dirmap.resolveSibling(name + ".csv");
    Files.write(csv, lines.subList(0, Math.min(lines.size(), rows + 1)));
    return csv;
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(path);
      }
    }
  }
}
