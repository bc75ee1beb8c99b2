package org.lwise.stream.dirmap;

import java.nio.file.Path;
import java.util.List;

/**
 * A parsed dirmap: header and rows exactly as written (so every column survives the round trip),
 * plus the rows that could not be parsed.
 *
 * @param root the folder holding the CSV; image paths are resolved against it and confined to it
 */
public record Dirmap(
    Path csv, Path root, List<String> header, List<DirmapRow> rows, List<RowProblem> problems) {

  /** A row that cannot be used, with a reason a person can act on. */
  public record RowProblem(long index, long line, String reason, List<String> values) {}

  public int column(String name) {
    return header.indexOf(name);
  }

  /** Data rows, good and bad, i.e. the job's row count. */
  public long rowCount() {
    return rows.size() + problems.size();
  }
}
