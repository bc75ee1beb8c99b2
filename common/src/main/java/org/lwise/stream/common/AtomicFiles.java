package org.lwise.stream.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Output files written whole: to a temporary name, then moved, so readers never see half a file and
 * a replay overwrites atomically. The file gets the mode any new file of this process gets (0644
 * under umask 022): images and dirmaps are served to participants' browsers and read by experiment
 * code running as other users.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  public static void write(Path target, byte[] bytes) {
    Path folder = target.toAbsolutePath().getParent();
    // Not Files.createTempFile: it creates 0600 whatever the umask, and the move keeps that mode.
    Path temp = folder.resolve(".part-" + UUID.randomUUID());
    try {
      Files.createDirectories(folder);
      try {
        Files.write(temp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        Files.move(
            temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    }
  }
}
