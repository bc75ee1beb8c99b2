package org.lwise.stream.common;

import java.util.ArrayDeque;
import org.lwise.stream.schema.ImageFormat;

/**
 * Where a row's output image goes, derived from its {@code im_path}: the same relative path, with
 * the extension {@code .png} for PNG output (the default) and unchanged for SOURCE. The S3 key and
 * the local output file both come from it, so two rows with the same output path would overwrite
 * each other's images; ingest refuses the second one.
 */
public final class OutputPaths {
  private OutputPaths() {}

  /** The output path of an input im_path (the rule gpu-worker's {@code OutputEncoder} applies). */
  public static String of(String imPath, ImageFormat format) {
    if (format == ImageFormat.SOURCE) {
      return imPath;
    }
    int slash = Math.max(imPath.lastIndexOf('/'), imPath.lastIndexOf('\\'));
    int dot = imPath.lastIndexOf('.');
    String stem = dot > slash ? imPath.substring(0, dot) : imPath;
    return stem + ".png";
  }

  /**
   * The form in which two paths name the same output: '\' as '/', no surrounding spaces, no leading
   * '/', no {@code .} segments and {@code x/..} folded — the S3 key drops the leading '/' and the
   * local file is the normalized path, so either way these are one object.
   */
  public static String identity(String path) {
    String portable = path.strip().replace('\\', '/');
    ArrayDeque<String> segments = new ArrayDeque<>();
    for (String segment : portable.split("/")) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..") && !segments.isEmpty() && !segments.peekLast().equals("..")) {
        segments.removeLast();
      } else {
        segments.addLast(segment);
      }
    }
    return String.join("/", segments);
  }
}
