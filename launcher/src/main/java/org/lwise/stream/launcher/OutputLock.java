package org.lwise.stream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One run per output folder: {@code <out>/.lwise.lock}, held with an OS file lock for as long as
 * the run lives (the OS releases it when the process dies, so a killed run leaves nothing to clean
 * up). The file names the holder's pid and command, for the one line a second run prints.
 */
final class OutputLock implements AutoCloseable {
  static final String FILE_NAME = ".lwise.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private OutputLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the folder's lock, or throws at once naming the process that holds it. */
  static OutputLock acquire(Path outDir, String command) {
    Path file = outDir.resolve(FILE_NAME);
    FileChannel channel = null;
    try {
      Files.createDirectories(outDir);
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException heldByThisProcess) {
        lock = null;
      }
      if (lock == null) {
        String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
        channel.close();
        throw new IllegalStateException(
            "output folder "
                + outDir.toAbsolutePath().normalize()
                + " is in use by "
                + (holder.isEmpty() ? "another process" : holder)
                + "; wait for it, stop it, or choose another --out");
      }
      channel.truncate(0);
      channel.write(
          ByteBuffer.wrap(
              ("pid " + ProcessHandle.current().pid() + " (" + command + ")\n")
                  .getBytes(StandardCharsets.UTF_8)),
          0);
      channel.force(false);
      return new OutputLock(channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new UncheckedIOException("cannot lock " + file, e);
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Already failing with the first error.
      }
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release " + FILE_NAME, e);
    }
  }
}
