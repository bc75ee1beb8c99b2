package org.lwise.stream.trainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.lwise.stream.dirmap.DatasetPaths;
import org.lwise.stream.dirmap.Dirmap;
import org.lwise.stream.dirmap.DirmapReader;
import org.lwise.stream.dirmap.DirmapRow;
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.method.Preprocessor;
import org.lwise.stream.method.RgbImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One split of a dirmap, decoded and preprocessed once (Resize + CenterCrop, as the pipeline does)
 * and kept in memory as 8-bit crops. Rows that cannot be used are skipped and counted, with the
 * first reasons logged.
 */
public final class LabeledImages {
  private static final Logger log = LoggerFactory.getLogger(LabeledImages.class);

  private final int size;
  private final List<byte[]> crops;
  private final int[] labels;
  private final int skipped;

  private LabeledImages(int size, List<byte[]> crops, int[] labels, int skipped) {
    this.size = size;
    this.crops = crops;
    this.labels = labels;
    this.skipped = skipped;
  }

  /**
   * @param limit at most this many rows (a reproducible random subset when the split is larger); 0
   *     = all
   */
  public static LabeledImages load(
      Path dirmapFile, String split, String labelColumn, int size, int limit, long seed) {
    Dirmap dirmap = new DirmapReader().read(dirmapFile);
    int splitColumn = dirmap.column("split");
    int labelIndex = dirmap.column(labelColumn);
    if (labelIndex < 0) {
      throw new IllegalArgumentException(
          "label column '" + labelColumn + "' is not in " + dirmapFile);
    }
    int pathColumn = dirmap.column("im_path");
    List<DirmapRow> rows =
        new ArrayList<>(
            dirmap.rows().stream().filter(r -> split.equals(r.values().get(splitColumn))).toList());
    if (limit > 0 && rows.size() > limit) {
      Collections.shuffle(rows, new Random(seed));
      rows = new ArrayList<>(rows.subList(0, limit));
      rows.sort(Comparator.comparingLong(DirmapRow::index));
    }
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("dirmap " + dirmapFile + " has no '" + split + "' rows");
    }
    DatasetPaths datasetPaths = new DatasetPaths(dirmap.root());
    Preprocessor preprocessor = new Preprocessor(size);
    ExecutorService pool =
        Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
    try {
      List<Future<byte[]>> decoded = new ArrayList<>();
      for (DirmapRow row : rows) {
        decoded.add(
            pool.submit(
                () -> {
                  Path file = datasetPaths.resolve(row.values().get(pathColumn));
                  RgbImage crop =
                      preprocessor.resizeAndCrop(
                          new ImageDecoder().decode(Files.readAllBytes(file)));
                  return crop.pixels();
                }));
      }
      List<byte[]> crops = new ArrayList<>();
      List<Integer> labels = new ArrayList<>();
      int skipped = 0;
      for (int i = 0; i < rows.size(); i++) {
        DirmapRow row = rows.get(i);
        try {
          int label = DirmapReader.parseLabel(row.values().get(labelIndex));
          crops.add(decoded.get(i).get());
          labels.add(label);
        } catch (ExecutionException | IllegalArgumentException e) {
          if (skipped++ < 5) {
            log.warn(
                "Skipping row {} of {}: {}",
                row.index(),
                dirmapFile,
                e instanceof ExecutionException ? e.getCause().getMessage() : e.getMessage());
          }
        }
      }
      if (skipped > 0) {
        log.warn("Skipped {} unusable '{}' rows of {}", skipped, split, dirmapFile);
      }
      return new LabeledImages(
          size, crops, labels.stream().mapToInt(Integer::intValue).toArray(), skipped);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading images", e);
    } finally {
      pool.shutdownNow();
    }
  }

  public int size() {
    return crops.size();
  }

  public int imageSize() {
    return size;
  }

  public int label(int i) {
    return labels[i];
  }

  public int skipped() {
    return skipped;
  }

  /** Images {@code indexes} as one CHW float batch in [0,1]. */
  public float[] batch(int[] indexes) {
    int plane = size * size;
    float[] out = new float[indexes.length * 3 * plane];
    for (int b = 0; b < indexes.length; b++) {
      byte[] px = crops.get(indexes[b]);
      int base = b * 3 * plane;
      for (int i = 0; i < plane; i++) {
        out[base + i] = (px[3 * i] & 0xFF) / 255f;
        out[base + plane + i] = (px[3 * i + 1] & 0xFF) / 255f;
        out[base + 2 * plane + i] = (px[3 * i + 2] & 0xFF) / 255f;
      }
    }
    return out;
  }

  static void ensureFolder(Path folder) {
    try {
      Files.createDirectories(folder);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + folder, e);
    }
  }
}
