package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassDataArchiveTest {
  @TempDir Path tmp;

  private static Path option(List<String> options, String prefix) {
    assertThat(options).hasSize(1);
    assertThat(options.get(0)).startsWith(prefix);
    return Path.of(options.get(0).substring(prefix.length()));
  }

  @Test
  void shouldWriteOnTheFirstStartAndMapTheArchiveOnceTheChildExited() throws Exception {
    Path jar = Files.writeString(tmp.resolve("server.jar"), "a build");
    Path folder = tmp.resolve("cds");
    ClassDataArchive archive = ClassDataArchive.forJar(jar, folder, "server");

    Path pending = option(archive.jvmOptions(), "-XX:ArchiveClassesAtExit=");
    assertThat(pending.getParent()).isEqualTo(folder);
    assertThat(pending).isNotEqualTo(archive.archive());
    archive.publishIfWritten(); // the child wrote nothing: nothing to publish
    assertThat(archive.archive()).doesNotExist();

    Files.writeString(pending, "classes"); // what the child's JVM writes as it exits
    archive.publishIfWritten();
    assertThat(archive.archive()).hasContent("classes");
    assertThat(pending).doesNotExist();
    assertThat(option(archive.jvmOptions(), "-XX:SharedArchiveFile=")).isEqualTo(archive.archive());
  }

  @Test
  void shouldKeepOneArchivePerBuildOfTheJar() throws Exception {
    Path jar = Files.writeString(tmp.resolve("server.jar"), "a build");
    Path folder = tmp.resolve("cds");
    ClassDataArchive first = ClassDataArchive.forJar(jar, folder, "server");
    Files.writeString(option(first.jvmOptions(), "-XX:ArchiveClassesAtExit="), "classes");
    first.publishIfWritten();

    Files.writeString(jar, "another build, longer");
    ClassDataArchive second = ClassDataArchive.forJar(jar, folder, "server");
    assertThat(second.archive()).isNotEqualTo(first.archive());
    Files.writeString(option(second.jvmOptions(), "-XX:ArchiveClassesAtExit="), "new classes");
    second.publishIfWritten();

    assertThat(first.archive()).doesNotExist();
    assertThat(second.archive()).hasContent("new classes");
  }

  @Test
  void shouldDeleteWhatAKilledChildLeftHalfWrittenLongAgo() throws Exception {
    Path jar = Files.writeString(tmp.resolve("server.jar"), "a build");
    Path folder = Files.createDirectories(tmp.resolve("cds"));
    Path old = Files.writeString(folder.resolve("server-0011223344556677.jsa.99.pending"), "half");
    Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    Path recent = Files.writeString(folder.resolve("server-0011223344556677.jsa.98.pending"), "");

    ClassDataArchive.forJar(jar, folder, "server").jvmOptions();

    assertThat(old).doesNotExist();
    assertThat(recent).exists(); // perhaps another run's child, still running
  }
}
