package org.lwise.stream.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A small dataset built from the committed demo images, with one row for each kind of bad input the
 * pipeline must dead-letter — a broken image, a missing file, a path outside the dataset folder, a
 * malformed CSV row, a label the model does not have, an empty file, a truncated PNG, a
 * decompression bomb, an absolute path, a symlink out, a non-integer and a negative label, a
 * duplicate im_path — and the unusual images it must read like PIL (16-bit gray, palette).
 */
final class TestDataset {
  static final String HEADER = ",split,class,class_num,im_path,note";
  static final int GOOD = 22;
  static final int BAD = 13;
  private static final int DEMO_ROWS = 20;

  private TestDataset() {}

  static Path create(Path dir) {
    try {
      Path root = Files.createDirectories(dir.resolve("dataset"));
      Files.writeString(dir.resolve("secret.png"), "outside");
      Path demo = Path.of("../demo/fashion-mnist");
      List<String> demoRows =
          Files.readAllLines(demo.resolve("dirmap.csv")).subList(1, DEMO_ROWS + 1);
      StringBuilder csv = new StringBuilder(HEADER).append('\n');
      int index = 0;
      for (String row : demoRows) {
        String[] cells = row.split(",");
        Path image = root.resolve(cells[4]);
        Files.createDirectories(image.getParent());
        Files.copy(demo.resolve(cells[4]), image);
        csv.append(index++)
            .append(',')
            .append(cells[1])
            .append(',')
            .append(cells[2])
            .append(',')
            .append(cells[3])
            .append(',')
            .append(cells[4])
            .append(",\"kept, as written\"\n");
      }
      Files.writeString(root.resolve("images/broken.png"), "this is not a PNG");
      csv.append(index++).append(",train,Bag,8,images/broken.png,\n");
      csv.append(index++).append(",train,Bag,8,images/missing.png,\n");
      csv.append(index++).append(",train,Bag,8,../secret.png,\n");
      csv.append(index++).append(",train,Bag\n");
      Files.copy(
          demo.resolve(demoRows.get(0).split(",")[4]), root.resolve("images/wrong-label.png"));
      csv.append(index++).append(",train,Bag,42,images/wrong-label.png,\n");
      Files.write(root.resolve("images/empty.png"), new byte[0]);
      csv.append(index++).append(",train,Bag,8,images/empty.png,\n");
      byte[] png = Files.readAllBytes(demo.resolve(demoRows.get(0).split(",")[4]));
      Files.write(root.resolve("images/truncated.png"), Arrays.copyOf(png, png.length / 2));
      csv.append(index++).append(",train,Bag,8,images/truncated.png,\n");
      Files.write(root.resolve("images/bomb.png"), decompressionBomb(100_000, 100_000));
      csv.append(index++).append(",train,Bag,8,images/bomb.png,\n");
      csv.append(index++)
          .append(",train,Bag,8,")
          .append(dir.resolve("secret.png").toAbsolutePath())
          .append(",\n");
      Files.createSymbolicLink(
          root.resolve("images/link.png"), dir.resolve("secret.png").toAbsolutePath());
      csv.append(index++).append(",train,Bag,8,images/link.png,\n");
      Files.copy(demo.resolve(demoRows.get(1).split(",")[4]), root.resolve("images/label-abc.png"));
      csv.append(index++).append(",train,Bag,abc,images/label-abc.png,\n");
      Files.copy(
          demo.resolve(demoRows.get(2).split(",")[4]), root.resolve("images/label-negative.png"));
      csv.append(index++).append(",train,Bag,-1,images/label-negative.png,\n");
      csv.append(index++)
          .append(",train,Dress,3,")
          .append(demoRows.get(0).split(",")[4])
          .append(",duplicate\n");
      Path reference = Path.of("../method/src/test/resources/reference/images");
      Files.copy(reference.resolve("gray16.png"), root.resolve("images/gray16.png"));
      csv.append(index++).append(",train,Bag,8,images/gray16.png,\"kept, as written\"\n");
      Files.copy(reference.resolve("palette.png"), root.resolve("images/palette.png"));
      csv.append(index).append(",train,Bag,8,images/palette.png,\"kept, as written\"\n");
      Files.writeString(root.resolve("dirmap.csv"), csv.toString());
      return root.resolve("dirmap.csv");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A PNG of a few dozen bytes whose header declares {@code width × height} RGB pixels. */
  static byte[] decompressionBomb(int width, int height) throws IOException {
    var out = new ByteArrayOutputStream();
    out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    var header =
        ByteBuffer.allocate(13)
            .putInt(width)
            .putInt(height)
            .put((byte) 8)
            .put((byte) 2)
            .put((byte) 0)
            .put((byte) 0)
            .put((byte) 0);
    chunk(out, "IHDR", header.array());
    var deflater = new Deflater();
    deflater.setInput(
        new byte[1 + 3 * 64]); // one short row: the decoder must refuse before it asks for more
    deflater.finish();
    byte[] compressed = new byte[256];
    chunk(out, "IDAT", Arrays.copyOf(compressed, deflater.deflate(compressed)));
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data)
      throws IOException {
    var crc = new CRC32();
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    crc.update(name);
    crc.update(data);
    out.write(ByteBuffer.allocate(4).putInt(data.length).array());
    out.write(name);
    out.write(data);
    out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
