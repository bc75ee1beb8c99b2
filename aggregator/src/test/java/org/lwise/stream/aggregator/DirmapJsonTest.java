package org.lwise.stream.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lwise.stream.aggregator.DirmapJson.ColumnType;

class DirmapJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void shouldTypeThePublishedHam4DirmapsColumnsAsPandasReadsThem() throws Exception {
    DirmapTable.Table table = PublishedDirmaps.read("ham4_dirmap.csv");
    JsonNode records = JSON.readTree(DirmapJson.records(table));

    // pandas.read_csv's dtypes: int64 for the index column and class_num, float64 for age (40.0,
    // with empty cells) and difficulty, object for the rest.
    Map<String, ColumnType> expected = new LinkedHashMap<>();
    table.header().forEach(name -> expected.put(name, ColumnType.STRING));
    expected.put("Unnamed: 0", ColumnType.INTEGER);
    expected.put("class_num", ColumnType.INTEGER);
    expected.put("age", ColumnType.FLOAT);
    expected.put("difficulty", ColumnType.FLOAT);
    for (int i = 0; i < table.header().size(); i++) {
      int column = i;
      assertThat(DirmapJson.type(table.rows().stream().map(r -> r.get(column)).toList()))
          .as(table.header().get(i))
          .isEqualTo(expected.get(table.header().get(i)));
    }

    JsonNode first = records.get(0);
    assertThat(first.get("Unnamed: 0").isIntegralNumber()).isTrue();
    assertThat(first.get("Unnamed: 0").asLong()).isEqualTo(889);
    assertThat(first.get("class_num").asInt()).isEqualTo(5);
    assertThat(first.get("age").isDouble()).isTrue();
    assertThat(first.get("age").asDouble()).isEqualTo(40.0);
    assertThat(first.get("difficulty").isDouble()).isTrue();
    assertThat(first.get("difficulty").asDouble()).isEqualTo(0.30978926125104944);
    assertThat(first.get("url").isTextual()).isTrue();
    int emptyAge = indexOfFirstEmpty(table, "age");
    assertThat(records.get(emptyAge).get("age").isNull()).as("an empty cell is null").isTrue();
    assertThat(JSON.writeValueAsString(first))
        .startsWith("{\"Unnamed: 0\":889,\"class_num\":5,\"class\":\"nv\"")
        .contains("\"age\":40.0,")
        .endsWith("\"difficulty\":0.30978926125104944}");
  }

  @Test
  void shouldWriteEveryPublishedCellAsTheValueItsCsvTextIs() throws Exception {
    for (String name : PublishedDirmaps.NAMES) {
      DirmapTable.Table table = PublishedDirmaps.read(name);
      JsonNode records = JSON.readTree(DirmapJson.records(table));
      assertThat(records.size()).as(name).isEqualTo(table.rows().size());
      for (int r = 0; r < table.rows().size(); r++) {
        JsonNode record = records.get(r);
        assertThat(record.size()).as(name).isEqualTo(table.header().size());
        for (int c = 0; c < table.header().size(); c++) {
          String cell = table.rows().get(r).get(c);
          JsonNode value = record.get(table.header().get(c));
          String where = name + " row " + r + " " + table.header().get(c);
          if (cell == null) {
            assertThat(value.isNull()).as(where).isTrue();
          } else if (value.isNumber()) {
            assertThat(value.asDouble()).as(where).isEqualTo(Double.parseDouble(cell));
          } else {
            assertThat(value.isTextual()).as(where).isTrue();
            assertThat(value.asText()).as(where).isEqualTo(cell);
          }
        }
      }
      // What experiments sort by are numbers in every published dirmap.
      for (JsonNode record : records) {
        assertThat(record.get("difficulty").isNumber()).as(name).isTrue();
        assertThat(record.get("class_num").isIntegralNumber()).as(name).isTrue();
      }
    }
  }

  @Test
  void shouldInferEachColumnsTypeAsReadCsvDoes() {
    assertThat(DirmapJson.type(cells("1", "-2", "+3", " 4 ", "007"))).isEqualTo(ColumnType.INTEGER);
    assertThat(DirmapJson.type(cells("1", null, "3")))
        .as("int with NaN is float64")
        .isEqualTo(ColumnType.FLOAT);
    assertThat(DirmapJson.type(cells("1", "NA", "3")))
        .as("NA is missing")
        .isEqualTo(ColumnType.FLOAT);
    assertThat(DirmapJson.type(cells("1", "2.5", "1e-05", ".5", "5.", "1.0E-5", "-inf")))
        .isEqualTo(ColumnType.FLOAT);
    assertThat(DirmapJson.type(cells(null, null)))
        .as("all NaN is float64")
        .isEqualTo(ColumnType.FLOAT);
    assertThat(DirmapJson.type(cells("True", "false", null))).isEqualTo(ColumnType.BOOLEAN);
    assertThat(DirmapJson.type(cells("1", "a"))).isEqualTo(ColumnType.STRING);
    assertThat(DirmapJson.type(cells("1", "True"))).isEqualTo(ColumnType.STRING);
    assertThat(DirmapJson.type(cells("0x10", "1"))).isEqualTo(ColumnType.STRING);
    assertThat(DirmapJson.type(cells("18446744073709551615", "0")))
        .as("uint64")
        .isEqualTo(ColumnType.INTEGER);
    assertThat(DirmapJson.type(cells("00013007854817840016671868")))
        .as("past uint64: object")
        .isEqualTo(ColumnType.STRING);
    assertThat(DirmapJson.type(cells("18446744073709551615", "-1")))
        .as("neither int64 nor uint64")
        .isEqualTo(ColumnType.STRING);
  }

  @Test
  void shouldWriteIntsWithMissingCellsAsFloatsAndMissingCellsAsNull() throws Exception {
    DirmapTable.Table table =
        new DirmapTable.Table(
            List.of("", "n", "m", "s", "b", "id"),
            List.of(
                Arrays.asList("0", "5", "1.5", "NA", "True", "00013007854817840016671868"),
                Arrays.asList("1", null, "inf", "x", null, "2")));
    assertThat(new String(DirmapJson.records(table)))
        .isEqualTo(
            "["
                + "{\"Unnamed: 0\":0,\"n\":5.0,\"m\":1.5,\"s\":null,\"b\":true,\"id\":\"00013007854817840016671868\"},"
                + "{\"Unnamed: 0\":1,\"n\":null,\"m\":null,\"s\":\"x\",\"b\":null,\"id\":\"2\"}]");
  }

  @Test
  void shouldNameColumnsAsReadCsvDoesSoNoValueIsLostToARepeatedName() {
    assertThat(DirmapJson.keys(List.of("", "a", "a", "a.1", "a", "")))
        .containsExactly("Unnamed: 0", "a", "a.1", "a.1.1", "a.2", "Unnamed: 5");
  }

  private static List<String> cells(String... values) {
    return Arrays.asList(values);
  }

  private static int indexOfFirstEmpty(DirmapTable.Table table, String column) {
    int c = table.header().indexOf(column);
    for (int r = 0; r < table.rows().size(); r++) {
      if (table.rows().get(r).get(c) == null) {
        return r;
      }
    }
    throw new AssertionError("no empty " + column);
  }
}
