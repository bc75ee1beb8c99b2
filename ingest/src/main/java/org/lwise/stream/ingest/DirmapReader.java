package org.lwise.stream.ingest;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads dirmap CSVs as pandas writes them: an optional unnamed index column (header
 * {@code Unnamed: 0} or empty), quoted fields, empty cells, a UTF-8 byte-order mark. Cells are kept
 * as text exactly as written; only the required columns are checked.
 */
public final class DirmapReader {
  public static final List<String> REQUIRED = List.of("split", "class", "class_num", "im_path");

  /** Reads the whole file. Rows with the wrong number of cells become {@link Dirmap.RowProblem}s. */
  public Dirmap read(Path csv) {
    Path file = csv.toAbsolutePath().normalize();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        CSVParser parser = CSVFormat.DEFAULT.builder().setIgnoreSurroundingSpaces(false).get().parse(reader)) {
      List<String> header = null;
      List<DirmapRow> rows = new ArrayList<>();
      List<Dirmap.RowProblem> problems = new ArrayList<>();
      long index = 0;
      for (CSVRecord record : parser) {
        List<String> cells = record.toList();
        if (header == null) {
          header = cleanHeader(cells);
          checkHeader(file, header);
          continue;
        }
        if (cells.size() == 1 && cells.get(0).isEmpty()) {
          continue; // blank line
        }
        List<String> values = cells.stream().map(c -> c.isEmpty() ? null : c).toList();
        long line = record.getCharacterPosition() >= 0 ? parser.getCurrentLineNumber() : -1;
        if (values.size() != header.size()) {
          problems.add(new Dirmap.RowProblem(index, line,
              "row has " + values.size() + " cells but the header has " + header.size(), values));
        } else {
          rows.add(new DirmapRow(index, line, values));
        }
        index++;
      }
      if (header == null) {
        throw new IllegalArgumentException("dirmap " + file + " is empty (no header)");
      }
      return new Dirmap(file, file.getParent(), header, List.copyOf(rows), List.copyOf(problems));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read dirmap " + file, e);
    } catch (IllegalStateException | UncheckedIOException e) {
      // commons-csv reports an unterminated quote etc. as IllegalStateException/UncheckedIOException.
      throw new IllegalArgumentException("dirmap " + file + " is not valid CSV: " + e.getMessage(), e);
    }
  }

  private static List<String> cleanHeader(List<String> cells) {
    List<String> header = new ArrayList<>(cells);
    if (!header.isEmpty() && header.get(0).startsWith("\uFEFF")) {
      header.set(0, header.get(0).substring(1));
    }
    return List.copyOf(header);
  }

  private static void checkHeader(Path file, List<String> header) {
    List<String> missing = REQUIRED.stream().filter(c -> !header.contains(c)).toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("dirmap " + file + " lacks required column(s) " + missing
          + "; its header is " + Arrays.toString(header.toArray()));
    }
  }

  /**
   * Parses a label cell; pandas writes integer columns that had a missing value as floats
   * ({@code 3.0}).
   */
  public static int parseLabel(String cell) {
    if (cell == null) {
      throw new IllegalArgumentException("label is empty");
    }
    String text = cell.strip();
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException notAnInt) {
      double value;
      try {
        value = Double.parseDouble(text);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("label '" + cell + "' is not an integer");
      }
      if (value != Math.rint(value) || Math.abs(value) > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("label '" + cell + "' is not an integer");
      }
      return (int) value;
    }
  }
}
