package org.lwise.stream.aggregator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The real dirmaps published with L-WISE (../shared/fixtures/lwise-dirmaps), read cell for cell.
 */
final class PublishedDirmaps {
  static final Path FIXTURES = Path.of("../../shared/fixtures/lwise-dirmaps");
  static final List<String> NAMES =
      List.of("ham4_dirmap.csv", "ham4_learn_10_dataset_dirmap.csv", "mhist_dirmap.csv");

  private PublishedDirmaps() {}

  /** Header and rows, empty cells as {@code null} (as ingest passes them on). */
  static DirmapTable.Table read(String name) {
    try (CSVParser parser =
        CSVFormat.DEFAULT.parse(Files.newBufferedReader(FIXTURES.resolve(name)))) {
      List<CSVRecord> records = parser.getRecords();
      List<List<String>> rows =
          records.subList(1, records.size()).stream()
              .map(r -> r.toList().stream().map(c -> c.isEmpty() ? null : c).toList())
              .toList();
      return new DirmapTable.Table(records.get(0).toList(), rows);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
