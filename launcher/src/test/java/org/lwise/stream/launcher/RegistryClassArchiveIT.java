package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry's first start writes a class-data archive as its JVM exits; the next start maps it,
 * and the JVM accepts it ({@code -Xshare:on} refuses to start on an archive it cannot use).
 */
class RegistryClassArchiveIT {
  @TempDir Path tmp;

  @Test
  void shouldWriteTheArchiveOnTheFirstStartAndMapItOnTheNext() throws Exception {
    Path jar = Launcher.registryJar().toAbsolutePath();
    Path archives = tmp.resolve("cds");
    EmbeddedRegistry registry =
        EmbeddedRegistry.start(
            jar, tmp.resolve("registry"), EmbeddedInfrastructure.freePort(), archives);
    assertThat(arguments(registry)).anyMatch(a -> a.startsWith("-XX:ArchiveClassesAtExit="));
    registry.stop();

    List<Path> written = files(archives);
    assertThat(written).hasSize(1);
    Path archive = written.get(0);
    assertThat(archive.getFileName().toString()).startsWith("registry-").endsWith(".jsa");
    assertThat(Files.size(archive)).isGreaterThan(1_000_000);

    registry.start();
    try {
      assertThat(arguments(registry)).contains("-XX:SharedArchiveFile=" + archive);
      assertThat(registry.url()).isNotBlank();
    } finally {
      registry.stop();
    }
    assertThat(files(archives)).containsExactly(archive);

    // The JVM itself: with -Xshare:on it exits with an error unless it can map the archive for
    // this jar (same JVM, same jar, same class path).
    Process check =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:on",
                "-XX:SharedArchiveFile=" + archive,
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xmx256m",
                "-cp",
                jar.toString(),
                "-version")
            .redirectErrorStream(true)
            .start();
    String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor()).as(output).isZero();
    assertThat(output).doesNotContain("Unable to use shared archive");
  }

  private static List<String> arguments(EmbeddedRegistry registry) {
    return List.of(registry.processHandle().orElseThrow().info().arguments().orElseThrow());
  }

  private static List<Path> files(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.toList();
    }
  }
}
