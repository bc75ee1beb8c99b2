package org.lwise.stream.launcher.report;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/** A written dirmap: its header and rows, read by column name; its images are under its folder. */
record DirmapFile(Path csv, List<String> header, List<List<String>> rows) {

  static DirmapFile read(Path csv) {
    try (Reader reader = Files.newBufferedReader(csv);
        CSVParser parser = CSVFormat.DEFAULT.parse(reader)) {
      List<CSVRecord> records = parser.getRecords();
      if (records.isEmpty()) {
        throw new IllegalArgumentException(csv + " is empty");
      }
      List<List<String>> rows = new ArrayList<>();
      records.subList(1, records.size()).forEach(r -> rows.add(r.toList()));
      return new DirmapFile(csv.toAbsolutePath(), records.get(0).toList(), rows);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read dirmap " + csv, e);
    }
  }

  Path folder() {
    return csv.getParent();
  }

  /** {@code <condition folder>/<file>}, as the report names it. */
  String name() {
    return csv.getParent().getFileName() + "/" + csv.getFileName();
  }

  boolean has(String column) {
    return header.contains(column);
  }

  /** The cell, or null when the column is absent or the cell empty. */
  String cell(List<String> row, String column) {
    int i = header.indexOf(column);
    return i < 0 || i >= row.size() || row.get(i).isEmpty() ? null : row.get(i);
  }

  /** The cell as a number, or null. */
  Double number(List<String> row, String column) {
    String text = cell(row, column);
    if (text == null) {
      return null;
    }
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The file of a row's image in this dirmap's condition ({@code output_im_path} is relative to the
   * folder).
   */
  Path image(List<String> row) {
    String path = cell(row, "output_im_path");
    return path == null ? null : folder().resolve(path.replace('\\', '/'));
  }
}
