package org.lwise.stream.ingest;

import java.util.Locale;

/** Content type of image files. */
public final class ImageFiles {
  private ImageFiles() {}

  /** Content type from the file's magic bytes, falling back to its extension. */
  public static String contentType(byte[] bytes, String name) {
    if (startsWith(bytes, 0x89, 'P', 'N', 'G')) {
      return "image/png";
    }
    if (startsWith(bytes, 0xFF, 0xD8, 0xFF)) {
      return "image/jpeg";
    }
    if (startsWith(bytes, 'I', 'I', 42, 0) || startsWith(bytes, 'M', 'M', 0, 42)) {
      return "image/tiff";
    }
    if (startsWith(bytes, 'B', 'M')) {
      return "image/bmp";
    }
    if (startsWith(bytes, 'G', 'I', 'F', '8')) {
      return "image/gif";
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".png")) {
      return "image/png";
    }
    if (lower.endsWith(".jpg") || lower.endsWith(".jpeg")) {
      return "image/jpeg";
    }
    if (lower.endsWith(".tif") || lower.endsWith(".tiff")) {
      return "image/tiff";
    }
    return "application/octet-stream";
  }

  private static boolean startsWith(byte[] bytes, int... prefix) {
    if (bytes.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((bytes[i] & 0xFF) != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
