package org.lwise.stream.dirmap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Resolves {@code im_path} cells against the dataset folder and refuses any that leave it — by
 * {@code ..}, an absolute path, or a symbolic link pointing elsewhere.
 */
public final class DatasetPaths {
  private final Path root;
  private final Path realRoot;

  public DatasetPaths(Path root) {
    this.root = root.toAbsolutePath().normalize();
    try {
      this.realRoot = this.root.toRealPath();
    } catch (IOException e) {
      throw new IllegalArgumentException("dataset folder " + root + " does not exist", e);
    }
  }

  /** The image file of a row. Throws {@link BadPathException} with the reason. */
  public Path resolve(String imPath) {
    if (imPath == null || imPath.isBlank()) {
      throw new BadPathException("im_path is empty");
    }
    // Dirmaps written on Windows use backslashes.
    String portable = imPath.strip().replace('\\', '/');
    Path relative = Path.of(portable);
    if (relative.isAbsolute() || portable.matches("^[A-Za-z]:/.*")) {
      throw new BadPathException(
          "im_path '" + imPath + "' is absolute; it must be relative to " + root);
    }
    Path resolved = root.resolve(relative).normalize();
    if (!resolved.startsWith(root)) {
      throw new BadPathException(
          "im_path '" + imPath + "' points outside the dataset folder " + root);
    }
    Path real;
    try {
      real = resolved.toRealPath();
    } catch (NoSuchFileException e) {
      throw new ImageNotFoundException("image file not found: " + resolved);
    } catch (IOException e) {
      throw new BadPathException("cannot access image file " + resolved + ": " + e.getMessage());
    }
    if (!real.startsWith(realRoot)) {
      throw new BadPathException(
          "im_path '" + imPath + "' links outside the dataset folder " + root);
    }
    if (!Files.isRegularFile(real)) {
      throw new BadPathException("im_path '" + imPath + "' is not a regular file");
    }
    return real;
  }

  /** An im_path that must not or cannot be read. */
  public static class BadPathException extends RuntimeException {
    public BadPathException(String message) {
      super(message);
    }
  }

  /** An im_path whose file is not there (yet: watch mode waits for it). */
  public static final class ImageNotFoundException extends BadPathException {
    public ImageNotFoundException(String message) {
      super(message);
    }
  }
}
