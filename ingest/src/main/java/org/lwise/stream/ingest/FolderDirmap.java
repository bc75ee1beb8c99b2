package org.lwise.stream.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.lwise.stream.dirmap.Dirmap;
import org.lwise.stream.dirmap.DirmapReader;

/**
 * Turns image files dropped into a folder into dirmap rows, so that watch mode can treat "files
 * appear in a folder" exactly like "rows are appended to a dirmap". Layout: {@code
 * <folder>/<class>/<file>}, where {@code <class>} is a class id or one of the model's class names.
 * Rows are appended to {@code <folder>/dirmap.csv}; a file is listed once its size has stopped
 * changing between two scans, so half-copied files are not read.
 */
public final class FolderDirmap {
  static final List<String> HEADER = List.of("split", "class", "class_num", "im_path");
  private static final Set<String> IMAGE_EXTENSIONS =
      Set.of("png", "jpg", "jpeg", "tif", "tiff", "bmp", "gif");

  private final Path folder;
  private final List<String> classNames;
  private final Map<Path, Long> lastSeenSize = new HashMap<>();

  public FolderDirmap(Path folder, List<String> classNames) {
    this.folder = folder.toAbsolutePath().normalize();
    this.classNames = List.copyOf(classNames);
  }

  public Path dirmap() {
    return folder.resolve("dirmap.csv");
  }

  /**
   * Appends rows for files that appeared (and stopped growing) since the last scan; returns how
   * many.
   */
  public int scan() {
    try {
      Files.createDirectories(folder);
      if (!Files.exists(dirmap())) {
        try (CSVPrinter csv = printer(dirmap(), StandardOpenOption.TRUNCATE_EXISTING)) {
          csv.printRecord(HEADER);
        }
      }
      Set<String> listed = listed();
      List<Path> stable = new ArrayList<>();
      try (Stream<Path> files = Files.walk(folder)) {
        for (Path file :
            files.filter(Files::isRegularFile).filter(FolderDirmap::isImage).sorted().toList()) {
          String relative = folder.relativize(file).toString().replace('\\', '/');
          if (listed.contains(relative)) {
            continue;
          }
          long size = Files.size(file);
          Long before = lastSeenSize.put(file, size);
          if (before != null && before == size && size > 0) {
            stable.add(file);
          }
        }
      }
      if (stable.isEmpty()) {
        return 0;
      }
      try (CSVPrinter csv = printer(dirmap(), StandardOpenOption.APPEND)) {
        for (Path file : stable) {
          Path relative = folder.relativize(file);
          String classFolder = relative.getNameCount() > 1 ? relative.getName(0).toString() : "";
          Integer label = label(classFolder);
          csv.printRecord(
              "test",
              label != null && label < classNames.size() ? classNames.get(label) : classFolder,
              label == null ? "" : label,
              relative.toString().replace('\\', '/'));
          lastSeenSize.remove(file);
        }
      }
      return stable.size();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot scan " + folder, e);
    }
  }

  private static CSVPrinter printer(Path file, StandardOpenOption mode) throws IOException {
    Writer writer =
        Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, mode);
    return new CSVPrinter(writer, CSVFormat.DEFAULT.builder().setRecordSeparator("\n").get());
  }

  /**
   * A class id folder ("5") or a class name folder ("nv"); null when it is neither (the row is then
   * dead-lettered).
   */
  Integer label(String classFolder) {
    try {
      return Integer.parseInt(classFolder);
    } catch (NumberFormatException notANumber) {
      for (int i = 0; i < classNames.size(); i++) {
        if (classNames.get(i).equalsIgnoreCase(classFolder)) {
          return i;
        }
      }
      return null;
    }
  }

  private Set<String> listed() {
    if (!Files.exists(dirmap())) {
      return Set.of();
    }
    Dirmap existing = new DirmapReader().read(dirmap());
    int column = existing.column("im_path");
    Set<String> paths = new HashSet<>();
    existing.rows().forEach(r -> paths.add(r.values().get(column)));
    return paths;
  }

  private static boolean isImage(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }
}
