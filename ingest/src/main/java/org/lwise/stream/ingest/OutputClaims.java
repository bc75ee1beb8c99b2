package org.lwise.stream.ingest;

import java.util.HashMap;
import java.util.Map;
import org.lwise.stream.common.OutputPaths;
import org.lwise.stream.dirmap.Dirmap;
import org.lwise.stream.dirmap.DirmapRow;
import org.lwise.stream.schema.ImageFormat;

/**
 * Which row owns each output image. The S3 key and the output file of a row are derived from its
 * im_path ({@link OutputPaths}), so two rows naming the same im_path — or, with PNG output, {@code
 * img/a.jpg} and {@code img/a.png} — would overwrite each other's images, and one row's URL would
 * show the other's picture. The first row (in dirmap order) owns the output; every later one is
 * dead-lettered naming it. Decided from the whole dirmap each time, so watch mode gives the same
 * answer on every pass and after a restart, rows before the watch start included.
 */
final class OutputClaims {
  private record Owner(long rowIndex, String imPath) {}

  private final int imPathColumn;
  private final ImageFormat format;
  private final Map<String, Owner> owners = new HashMap<>();

  private OutputClaims(int imPathColumn, ImageFormat format) {
    this.imPathColumn = imPathColumn;
    this.format = format;
  }

  static OutputClaims of(Dirmap dirmap, ImageFormat format) {
    OutputClaims claims = new OutputClaims(dirmap.column("im_path"), format);
    for (DirmapRow row : dirmap.rows()) {
      String imPath = row.values().get(claims.imPathColumn);
      if (imPath != null && !imPath.isBlank()) {
        claims.owners.putIfAbsent(claims.outputOf(imPath), new Owner(row.index(), imPath));
      }
    }
    return claims;
  }

  /** Why the row may not have its output (another row came first), or null when it is the owner. */
  String clash(DirmapRow row) {
    String imPath = row.values().get(imPathColumn);
    if (imPath == null || imPath.isBlank()) {
      return null; // no output at all; the row is dead-lettered for its empty im_path
    }
    Owner owner = owners.get(outputOf(imPath));
    if (owner == null || owner.rowIndex() == row.index()) {
      return null;
    }
    if (OutputPaths.identity(owner.imPath()).equals(OutputPaths.identity(imPath))) {
      return "duplicate im_path '" + imPath + "' (row " + owner.rowIndex() + " is the first)";
    }
    return "im_path '"
        + imPath
        + "' has the same output '"
        + OutputPaths.of(imPath, format).replace('\\', '/')
        + "' as row "
        + owner.rowIndex()
        + "'s im_path '"
        + owner.imPath()
        + "' (row "
        + owner.rowIndex()
        + " is the first)";
  }

  private String outputOf(String imPath) {
    return OutputPaths.identity(OutputPaths.of(imPath, format));
  }
}
