package org.lwise.stream.dirmap;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
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
 * Reads dirmap CSVs as pandas writes them: an optional unnamed index column (header {@code Unnamed:
 * 0} or empty), quoted fields, empty cells, a UTF-8 byte-order mark. Cells are kept as text exactly
 * as written; only the required columns are checked. The file must be UTF-8 (with or without the
 * mark, LF or CRLF line ends); anything else is refused naming its first bad byte.
 */
public final class DirmapReader {
  public static final List<String> REQUIRED = List.of("split", "class", "class_num", "im_path");

  /**
   * Reads the whole file. Rows with the wrong number of cells become {@link Dirmap.RowProblem}s.
   */
  public Dirmap read(Path csv) {
    Path file = csv.toAbsolutePath().normalize();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        CSVParser parser =
            CSVFormat.DEFAULT.builder().setIgnoreSurroundingSpaces(false).get().parse(reader)) {
      requireUtf8(file);
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
          problems.add(
              new Dirmap.RowProblem(
                  index,
                  line,
                  "row has " + values.size() + " cells but the header has " + header.size(),
                  values));
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
      // commons-csv reports an unterminated quote etc. as
      // IllegalStateException/UncheckedIOException.
      throw new IllegalArgumentException(
          "dirmap " + file + " is not valid CSV: " + e.getMessage(), e);
    }
  }

  /**
   * Checks that the file is UTF-8 before it is parsed, so that a dirmap saved in another encoding
   * (latin-1 or Windows-1252 from a spreadsheet) is refused with the place of its first bad byte
   * rather than the JDK's bare "Input length = 1". Streams the file: dirmaps can be large.
   */
  static void requireUtf8(Path file) throws IOException {
    CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer bytes = ByteBuffer.allocate(1 << 16);
    // UTF-8 never decodes to more chars than it has bytes, so the output cannot overflow.
    CharBuffer chars = CharBuffer.allocate(bytes.capacity());
    long bytesBefore = 0; // file offset of bytes[0]
    long line = 1;
    try (ReadableByteChannel in = Files.newByteChannel(file)) {
      boolean endOfInput = false;
      while (!endOfInput) {
        endOfInput = in.read(bytes) < 0;
        bytes.flip();
        CoderResult result = utf8.decode(bytes, chars, endOfInput);
        for (int i = 0; i < bytes.position(); i++) {
          if (bytes.get(i) == '\n') {
            line++;
          }
        }
        if (result.isError()) {
          throw new IllegalArgumentException(
              String.format(
                  "dirmap %s is not UTF-8: line %d, byte offset %d (byte 0x%02X) is not valid UTF-8;"
                      + " save the dirmap as UTF-8 (in a spreadsheet: \"CSV UTF-8\")",
                  file, line, bytesBefore + bytes.position(), bytes.get(bytes.position()) & 0xFF));
        }
        bytesBefore += bytes.position();
        bytes.compact(); // keeps the start of a character split across reads
        chars.clear();
      }
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
      throw new IllegalArgumentException(
          "dirmap "
              + file
              + " lacks required column(s) "
              + missing
              + "; its header is "
              + Arrays.toString(header.toArray()));
    }
  }

  /**
   * Parses a label cell; pandas writes integer columns that had a missing value as floats ({@code
   * 3.0}).
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
