package org.lwise.stream.launcher;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Converts Fashion-MNIST (Debian package {@code dataset-fashion-mnist}, original IDX files) into a
 * dirmap dataset: grayscale PNGs under {@code images/<class>/} and a dirmap CSV written the way
 * pandas writes one (an unnamed index column first). This is how {@code demo/fashion-mnist} was
 * made.
 */
@Command(
    name = "fashion-mnist",
    mixinStandardHelpOptions = true,
    description =
        "Convert Fashion-MNIST IDX files into a dirmap dataset (PNG images + dirmap.csv).")
public final class FashionMnistCommand implements Callable<Integer> {
  static final List<String> CLASSES =
      List.of(
          "T-shirt/top",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");

  @Option(
      names = "--source",
      defaultValue = "/usr/share/datasets/fashion-mnist",
      description = "folder with the IDX .gz files (default ${DEFAULT-VALUE})")
  Path source;

  @Option(names = "--set", defaultValue = "t10k", description = "t10k (test set, default) or train")
  String set;

  @Option(
      names = "--per-class",
      defaultValue = "30",
      description = "images per class (default ${DEFAULT-VALUE})")
  int perClass;

  @Option(names = "--out", required = true, description = "dataset folder to write")
  Path out;

  @Option(
      names = "--fractions",
      split = ",",
      defaultValue = "0.6,0.2,0.2",
      description =
          "fractions of each class in the train, val and test splits (default ${DEFAULT-VALUE})")
  List<Double> fractions;

  @Override
  public Integer call() throws IOException {
    byte[][] images = readImages(source.resolve(set + "-images-idx3-ubyte.gz"));
    byte[] labels = readLabels(source.resolve(set + "-labels-idx1-ubyte.gz"));
    Files.createDirectories(out);
    int[] taken = new int[CLASSES.size()];
    int rows = 0;
    try (Writer writer = Files.newBufferedWriter(out.resolve("dirmap.csv"));
        CSVPrinter csv =
            new CSVPrinter(writer, CSVFormat.DEFAULT.builder().setRecordSeparator("\n").get())) {
      csv.printRecord("", "split", "class", "class_num", "im_path", "fmnist_set", "fmnist_index");
      for (int i = 0; i < images.length && rows < perClass * CLASSES.size(); i++) {
        int label = labels[i];
        if (taken[label] >= perClass) {
          continue;
        }
        // Per class, in file order: the first fraction train, the next val, the rest test.
        int k = taken[label]++;
        String split =
            k < perClass * fractions.get(0)
                ? "train"
                : k < perClass * (fractions.get(0) + fractions.get(1)) ? "val" : "test";
        String folder = CLASSES.get(label).toLowerCase().replaceAll("[^a-z]+", "-");
        String imPath = "images/" + folder + "/" + set + "-" + i + ".png";
        Path file = out.resolve(imPath);
        Files.createDirectories(file.getParent());
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        System.arraycopy(
            images[i],
            0,
            ((DataBufferByte) image.getRaster().getDataBuffer()).getData(),
            0,
            28 * 28);
        ImageIO.write(image, "png", file.toFile());
        csv.printRecord(rows, split, CLASSES.get(label), label, imPath, set, i);
        rows++;
      }
    }
    System.out.println("Wrote " + rows + " images and " + out.resolve("dirmap.csv"));
    return 0;
  }

  private static byte[][] readImages(Path file) throws IOException {
    try (DataInputStream in = open(file, 2051)) {
      int count = in.readInt();
      int height = in.readInt();
      int width = in.readInt();
      byte[][] images = new byte[count][height * width];
      for (byte[] image : images) {
        in.readFully(image);
      }
      return images;
    }
  }

  private static byte[] readLabels(Path file) throws IOException {
    try (DataInputStream in = open(file, 2049)) {
      byte[] labels = new byte[in.readInt()];
      in.readFully(labels);
      return labels;
    }
  }

  private static DataInputStream open(Path file, int magic) throws IOException {
    if (!Files.exists(file)) {
      throw new IllegalArgumentException(
          file + " not found; install it with: apt-get install dataset-fashion-mnist");
    }
    InputStream raw = new GZIPInputStream(Files.newInputStream(file));
    DataInputStream in = new DataInputStream(raw);
    int found = in.readInt();
    if (found != magic) {
      in.close();
      throw new IllegalArgumentException(
          file + " is not an IDX file of the expected kind (magic " + found + ")");
    }
    return in;
  }
}
