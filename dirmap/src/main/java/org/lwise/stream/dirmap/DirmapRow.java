package org.lwise.stream.dirmap;

import java.util.List;

/**
 * One data row of a dirmap, cells in header order ({@code null} for an empty cell).
 *
 * @param index 0-based data row (the header is not counted)
 * @param line 1-based line in the CSV file where the row starts, for error messages
 */
public record DirmapRow(long index, long line, List<String> values) {}
