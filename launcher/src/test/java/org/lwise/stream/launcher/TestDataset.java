package org.lwise.stream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A small dataset built from the committed demo images, with one row for each kind of bad input the
 * pipeline must dead-letter: a broken image, a missing file, a path outside the dataset folder, a
 * malformed CSV row and a label the model does not have.
 */
final class TestDataset {
  static final String HEADER = ",split,class,class_num,im_path,note";
  static final int GOOD = 20;
  static final int BAD = 5;

  private TestDataset() {}

  static Path create(Path dir) {
    try {
      Path root = Files.createDirectories(dir.resolve("dataset"));
      Files.writeString(dir.resolve("secret.png"), "outside");
      Path demo = Path.of("../demo/fashion-mnist");
      List<String> demoRows = Files.readAllLines(demo.resolve("dirmap.csv")).subList(1, GOOD + 1);
      StringBuilder csv = new StringBuilder(HEADER).append('\n');
      int index = 0;
      for (String row : demoRows) {
        String[] cells = row.split(",");
        Path image = root.resolve(cells[4]);
        Files.createDirectories(image.getParent());
        Files.copy(demo.resolve(cells[4]), image);
        csv.append(index++).append(',').append(cells[1]).append(',').append(cells[2]).append(',')
            .append(cells[3]).append(',').append(cells[4]).append(",\"kept, as written\"\n");
      }
      Files.writeString(root.resolve("images/broken.png"), "this is not a PNG");
      csv.append(index++).append(",train,Bag,8,images/broken.png,\n");
      csv.append(index++).append(",train,Bag,8,images/missing.png,\n");
      csv.append(index++).append(",train,Bag,8,../secret.png,\n");
      csv.append(index++).append(",train,Bag\n");
      Files.copy(demo.resolve(demoRows.get(0).split(",")[4]), root.resolve("images/wrong-label.png"));
      csv.append(index).append(",train,Bag,42,images/wrong-label.png,\n");
      Files.writeString(root.resolve("dirmap.csv"), csv.toString());
      return root.resolve("dirmap.csv");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
