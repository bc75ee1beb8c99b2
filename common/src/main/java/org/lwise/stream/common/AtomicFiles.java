package org.lwise.stream.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Output files written whole: to a temporary name, then moved, so readers never see half a file and a replay overwrites atomically. */
public final class AtomicFiles {
  private AtomicFiles() {}

  public static void write(Path target, byte[] bytes) {
    try {
      Files.createDirectories(target.toAbsolutePath().getParent());
      Path temp = Files.createTempFile(target.toAbsolutePath().getParent(), ".part-", "");
      Files.write(temp, bytes);
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    }
  }
}
