package org.lwise.stream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A class-data-sharing archive (JDK AppCDS) for a child JVM that runs one jar: the classes it
 * loaded on its first start, already parsed and verified, mapped into every later start. The
 * registry's JVM is ready in about 2 s with it instead of 4–5 s, and spends less of the CPU the
 * other servers start on at the same time.
 *
 * <p>The first start writes the archive when that JVM exits ({@code -XX:ArchiveClassesAtExit}, to a
 * file of its own, moved into place only after the process ended, so two runs at once never read a
 * half-written archive). An archive belongs to one JVM and one build of the jar: its name holds a
 * hash of both, and archives of other builds are deleted when a new one is written. The JVM checks
 * the archive again when mapping it and runs without it if anything differs (-Xshare:auto), so a
 * stale archive costs only its benefit.
 */
final class ClassDataArchive {
  private static final Logger log = LoggerFactory.getLogger(ClassDataArchive.class);

  /** Leftovers of a JVM killed before its archive was moved into place. */
  private static final Duration STALE = Duration.ofHours(1);

  private final Path folder;
  private final String name;
  private final Path archive;
  private final Path pending;

  private ClassDataArchive(Path folder, String name, String key) {
    this.folder = folder;
    this.name = name;
    this.archive = folder.resolve(name + "-" + key + ".jsa");
    this.pending =
        folder.resolve(name + "-" + key + ".jsa." + ProcessHandle.current().pid() + ".pending");
  }

  /** The archive for {@code jar} run by this JVM's java, kept in {@code folder}. */
  static ClassDataArchive forJar(Path jar, Path folder, String name) {
    return new ClassDataArchive(folder, name, key(jar));
  }

  /** The options for the child's command line: map the archive, or write it at exit. */
  List<String> jvmOptions() {
    if (Files.isRegularFile(archive)) {
      return List.of("-XX:SharedArchiveFile=" + archive);
    }
    try {
      Files.createDirectories(folder);
      deleteStalePending();
    } catch (IOException e) {
      log.warn("Cannot prepare {} for class-data archives ({}); starting without one", folder, e);
      return List.of();
    }
    return List.of("-XX:ArchiveClassesAtExit=" + pending);
  }

  /**
   * After the child exited: moves the archive it wrote into place and deletes those of other
   * builds. Does nothing when the child mapped an archive or wrote none.
   */
  void publishIfWritten() {
    if (!Files.isRegularFile(pending)) {
      return;
    }
    try {
      try {
        Files.move(pending, archive, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(pending, archive, StandardCopyOption.REPLACE_EXISTING);
      }
      log.info("Class-data archive written for later starts: {}", archive);
      deleteOtherBuilds();
    } catch (IOException e) {
      log.warn(
          "Cannot keep the class-data archive {} ({}); later starts write it again", pending, e);
    }
  }

  Path archive() {
    return archive;
  }

  private void deleteStalePending() throws IOException {
    Instant before = Instant.now().minus(STALE);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, name + "-*.pending")) {
      for (Path file : files) {
        FileTime modified = Files.getLastModifiedTime(file);
        if (modified.toInstant().isBefore(before)) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  private void deleteOtherBuilds() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, name + "-*.jsa")) {
      for (Path file : files) {
        if (!file.equals(archive)) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  /** The JVM (its home and version) and the jar (its path, size and time). */
  private static String key(Path jar) {
    try {
      String identity =
          String.join(
              "\n",
              System.getProperty("java.home"),
              System.getProperty("java.vm.version"),
              jar.toAbsolutePath().toString(),
              String.valueOf(Files.size(jar)),
              String.valueOf(Files.getLastModifiedTime(jar).toMillis()));
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + jar, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
