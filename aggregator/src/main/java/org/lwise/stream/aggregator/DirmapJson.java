package org.lwise.stream.aggregator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A dirmap as JSON records, typed as the reference's {@code
 * pd.read_csv(csv).to_json(orient='records')} types it, because experiment code sorts and compares
 * these values in JavaScript: each column is typed from its cells as read_csv infers a dtype —
 * integers, else numbers, else booleans, else strings — and missing cells are {@code null}.
 * Departures from pandas' output, on purpose: floats keep every digit (pandas rounds to 10
 * significant digits by default), and {@code /} and non-ASCII characters are written plainly rather
 * than escaped (the same values once parsed).
 */
public final class DirmapJson {
  /** Column types read_csv infers (dtype int64/uint64, float64, bool, object). */
  enum ColumnType {
    INTEGER,
    FLOAT,
    BOOLEAN,
    STRING
  }

  /**
   * read_csv's default {@code na_values} ({@code pandas._libs.parsers.STR_NA_VALUES}), compared as
   * written.
   */
  static final Set<String> MISSING =
      Set.of(
          "",
          "-1.#IND",
          "1.#QNAN",
          "1.#IND",
          "-1.#QNAN",
          "#N/A N/A",
          "#N/A",
          "N/A",
          "n/a",
          "NA",
          "<NA>",
          "#NA",
          "NULL",
          "null",
          "NaN",
          "-NaN",
          "nan",
          "-nan",
          "None");

  private static final Set<String> TRUE = Set.of("True", "TRUE", "true");
  private static final Set<String> FALSE = Set.of("False", "FALSE", "false");
  private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Pattern INFINITY = Pattern.compile("(?i)[+-]?inf(inity)?");
  private static final BigInteger INT64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger INT64_MAX = BigInteger.valueOf(Long.MAX_VALUE);
  private static final BigInteger UINT64_MAX =
      BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  private DirmapJson() {}

  static byte[] records(DirmapTable.Table table) {
    try {
      return new ObjectMapper().writeValueAsBytes(recordNodes(table));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The records as JSON nodes, one per row, typed per column as {@link #records} writes them. */
  public static ArrayNode recordNodes(DirmapTable.Table table) {
    List<String> keys = keys(table.header());
    List<ColumnType> types = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      int column = i;
      types.add(type(table.rows().stream().map(row -> row.get(column)).toList()));
    }
    ArrayNode records = JsonNodeFactory.instance.arrayNode(table.rows().size());
    for (List<String> row : table.rows()) {
      ObjectNode record = records.addObject();
      for (int i = 0; i < keys.size(); i++) {
        put(record, keys.get(i), types.get(i), row.get(i));
      }
    }
    return records;
  }

  /**
   * One row on its own (a live event): each cell typed as a column holding only it would be, so a
   * number is a number; a column of a whole dirmap may type the same cell differently ({@code 40}
   * in a column that also holds {@code 40.5} is a float there).
   */
  public static ObjectNode recordNode(List<String> header, List<String> cells) {
    List<String> keys = keys(header);
    ObjectNode record = JsonNodeFactory.instance.objectNode();
    for (int i = 0; i < keys.size(); i++) {
      String cell = i < cells.size() ? cells.get(i) : null;
      put(record, keys.get(i), type(Collections.singletonList(cell)), cell);
    }
    return record;
  }

  private static void put(ObjectNode record, String key, ColumnType type, String cell) {
    if (isMissing(cell)) {
      record.putNull(key);
      return;
    }
    switch (type) {
      case INTEGER -> record.put(key, new BigInteger(cell.trim()));
      case FLOAT -> {
        double value = parseFloat(cell.trim());
        if (Double.isFinite(value)) {
          record.put(key, value);
        } else {
          record.putNull(key); // as pandas writes inf
        }
      }
      case BOOLEAN -> record.put(key, TRUE.contains(cell));
      case STRING -> record.put(key, cell);
    }
  }

  /**
   * The type read_csv gives a column of these cells ({@code null} = empty). An integer column with
   * a missing cell is read as floats; integers that fit neither int64 nor uint64 stay strings.
   */
  static ColumnType type(List<String> cells) {
    boolean missing = false;
    boolean integers = true;
    boolean numbers = true;
    boolean booleans = true;
    BigInteger min = null;
    BigInteger max = null;
    for (String cell : cells) {
      if (isMissing(cell)) {
        missing = true;
        continue;
      }
      String text = cell.trim(); // read_csv's number parsing skips surrounding blanks
      if (integers && INTEGER.matcher(text).matches()) {
        BigInteger value = new BigInteger(text);
        min = min == null ? value : min.min(value);
        max = max == null ? value : max.max(value);
      } else {
        integers = false;
      }
      numbers &= DECIMAL.matcher(text).matches() || INFINITY.matcher(text).matches();
      booleans &= TRUE.contains(cell) || FALSE.contains(cell);
    }
    if (min == null && numbers) {
      return ColumnType.FLOAT; // no value at all: pandas reads NaNs
    }
    if (integers) {
      boolean fits =
          min.compareTo(INT64_MIN) >= 0 && max.compareTo(INT64_MAX) <= 0
              || min.signum() >= 0 && max.compareTo(UINT64_MAX) <= 0;
      return !fits ? ColumnType.STRING : missing ? ColumnType.FLOAT : ColumnType.INTEGER;
    }
    if (numbers) {
      return ColumnType.FLOAT;
    }
    return booleans ? ColumnType.BOOLEAN : ColumnType.STRING;
  }

  /**
   * The column names read_csv gives this header: an empty name becomes {@code Unnamed: <position>}
   * and a repeated one gets {@code .1}, {@code .2}…, so no column's values are lost to another's
   * key.
   */
  static List<String> keys(List<String> header) {
    List<String> keys = new ArrayList<>();
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < header.size(); i++) {
      String name =
          header.get(i) == null || header.get(i).isEmpty() ? "Unnamed: " + i : header.get(i);
      int count = counts.getOrDefault(name, 0);
      while (count > 0) { // pandas' _dedup_names
        counts.put(name, count + 1);
        name = name + "." + count;
        count = counts.getOrDefault(name, 0);
      }
      keys.add(name);
      counts.put(name, count + 1);
    }
    return keys;
  }

  private static boolean isMissing(String cell) {
    return cell == null || MISSING.contains(cell);
  }

  private static double parseFloat(String text) {
    if (INFINITY.matcher(text).matches()) {
      return text.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    return Double.parseDouble(text);
  }
}
