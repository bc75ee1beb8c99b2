package org.lwise.stream.dirmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the real dirmaps published with L-WISE (../shared/fixtures/lwise-dirmaps). */
class DirmapReaderTest {
  static final Path FIXTURES = Path.of("../../shared/fixtures/lwise-dirmaps");
  private final DirmapReader reader = new DirmapReader();

  @Test
  void shouldKeepThePandasIndexColumnAndEveryCellAsWritten() throws Exception {
    Dirmap dirmap = reader.read(FIXTURES.resolve("ham4_dirmap.csv"));
    assertThat(dirmap.header())
        .startsWith("Unnamed: 0", "class_num", "class", "split", "im_path")
        .endsWith("url", "difficulty")
        .hasSize(15);
    assertThat(dirmap.rows()).hasSize(392);
    assertThat(dirmap.problems()).isEmpty();
    DirmapRow first = dirmap.rows().get(0);
    assertThat(first.values()).startsWith("889", "5", "nv", "val", "images/ISIC_0031688.jpg");
    assertThat(first.values().get(dirmap.column("age"))).isEqualTo("40.0");
    assertThat(dirmap.root()).isEqualTo(FIXTURES.toAbsolutePath().normalize());
  }

  @Test
  void shouldReadEveryFixtureCellForCellLikeAPlainCsvParser() throws Exception {
    for (String name :
        List.of("ham4_dirmap.csv", "ham4_learn_10_dataset_dirmap.csv", "mhist_dirmap.csv")) {
      Path file = FIXTURES.resolve(name);
      Dirmap dirmap = reader.read(file);
      try (CSVParser parser = CSVFormat.DEFAULT.parse(Files.newBufferedReader(file))) {
        List<CSVRecord> records = parser.getRecords();
        assertThat(dirmap.header()).as(name).isEqualTo(records.get(0).toList());
        assertThat(dirmap.rows()).as(name).hasSize(records.size() - 1);
        for (int i = 1; i < records.size(); i++) {
          List<String> expected =
              records.get(i).toList().stream().map(c -> c.isEmpty() ? null : c).toList();
          assertThat(dirmap.rows().get(i - 1).values()).as(name + " row " + i).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void shouldKeepColumnNamesWithSpacesAndParentheses() {
    Dirmap dirmap = reader.read(FIXTURES.resolve("mhist_dirmap.csv"));
    assertThat(dirmap.header()).contains("Number of Annotators who Selected SSA (Out of 7)");
    assertThat(dirmap.rows()).hasSize(100);
  }

  @Test
  void shouldReportMalformedRowsWithTheirLineAndContinue(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("d.csv");
    Files.writeString(
        csv,
        ",split,class,class_num,im_path,note\n"
            + "0,train,cat,0,a.png,\"quoted, with comma\"\n"
            + "1,train,dog,1\n"
            + "2,val,dog,1.0,b.png,\n");
    Dirmap dirmap = reader.read(csv);
    assertThat(dirmap.header())
        .containsExactly("", "split", "class", "class_num", "im_path", "note");
    assertThat(dirmap.rows()).extracting(DirmapRow::index).containsExactly(0L, 2L);
    assertThat(dirmap.rows().get(0).values().get(5)).isEqualTo("quoted, with comma");
    assertThat(dirmap.rows().get(1).values().get(5)).isNull();
    assertThat(dirmap.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.index()).isEqualTo(1);
              assertThat(p.line()).isEqualTo(3);
              assertThat(p.reason()).contains("4 cells but the header has 6");
            });
    assertThat(dirmap.rowCount()).isEqualTo(3);
  }

  @Test
  void shouldRefuseADirmapWithoutTheRequiredColumns(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("d.csv");
    Files.writeString(csv, "split,class,path\ntrain,cat,a.png\n");
    assertThatThrownBy(() -> reader.read(csv))
        .hasMessageContaining("lacks required column(s) [class_num, im_path]");
  }

  @Test
  void shouldReadUtf8WithAByteOrderMarkAndCrlfLineEnds(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("d.csv");
    Files.write(
        csv,
        ("\uFEFFsplit,class,class_num,im_path\r\n"
                + "train,cat,0,a.png\r\n"
                + "train,dog\r\n"
                + "val,dog,1,\"b,c.png\"\r\n")
            .getBytes(StandardCharsets.UTF_8));
    Dirmap dirmap = reader.read(csv);
    assertThat(dirmap.header()).containsExactly("split", "class", "class_num", "im_path");
    assertThat(dirmap.rows())
        .extracting(DirmapRow::values)
        .containsExactly(
            List.of("train", "cat", "0", "a.png"), List.of("val", "dog", "1", "b,c.png"));
    assertThat(dirmap.problems()).singleElement().satisfies(p -> assertThat(p.line()).isEqualTo(3));
  }

  @Test
  void shouldKeepMultiByteUtf8ClassNames(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("d.csv");
    // Long enough that some characters straddle the validator's 64 KiB reads.
    StringBuilder text = new StringBuilder("split,class,class_num,im_path\n");
    for (int i = 0; i < 5000; i++) {
      text.append("train,Nævus – mélanocytaire 痣 🔬,")
          .append(i % 7)
          .append(",images/")
          .append(i)
          .append(".png\n");
    }
    Files.writeString(csv, text, StandardCharsets.UTF_8);
    Dirmap dirmap = reader.read(csv);
    assertThat(dirmap.rows())
        .hasSize(5000)
        .allSatisfy(row -> assertThat(row.values().get(1)).isEqualTo("Nævus – mélanocytaire 痣 🔬"));
  }

  @Test
  void shouldRefuseALatin1DirmapNamingTheLineAndByteOfTheFirstBadByte(@TempDir Path dir)
      throws Exception {
    Path csv = dir.resolve("d.csv");
    String text = "split,class,class_num,im_path\r\ntrain,cat,0,a.png\r\ntrain,Nævus,1,b.png\r\n";
    Files.write(csv, text.getBytes(StandardCharsets.ISO_8859_1));
    int offset = text.indexOf('æ');
    assertThatThrownBy(() -> reader.read(csv))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "dirmap "
                + csv.toAbsolutePath().normalize()
                + " is not UTF-8: line 3, byte offset "
                + offset
                + " (byte 0xE6) is not valid UTF-8; save the dirmap as UTF-8 (in a spreadsheet: \"CSV UTF-8\")");
  }

  @Test
  void shouldRefuseACharacterCutOffAtTheEndOfTheFile(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("d.csv");
    byte[] text = "split,class,class_num,im_path\ntrain,N\u00e6".getBytes(StandardCharsets.UTF_8);
    Files.write(csv, Arrays.copyOf(text, text.length - 1));
    assertThatThrownBy(() -> reader.read(csv))
        .hasMessageContaining("line 2, byte offset " + (text.length - 2));
  }

  @Test
  void shouldParseLabelsWrittenAsPandasFloats() {
    assertThat(DirmapReader.parseLabel("3")).isEqualTo(3);
    assertThat(DirmapReader.parseLabel("3.0")).isEqualTo(3);
    assertThatThrownBy(() -> DirmapReader.parseLabel("3.5")).hasMessageContaining("not an integer");
    assertThatThrownBy(() -> DirmapReader.parseLabel("nv")).hasMessageContaining("not an integer");
    assertThatThrownBy(() -> DirmapReader.parseLabel(null)).hasMessageContaining("empty");
  }
}
