package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No server outlives the run that started it, and no run adopts a server it did not start. */
class OrphanServersIT {
  @TempDir Path tmp;

  @Test
  void shouldEndTheRegistryWhenItsParentIsKilled() throws Exception {
    int port = EmbeddedInfrastructure.freePort();
    Process parent =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                RegistryParentProcess.class.getName(),
                Launcher.registryJar().toString(),
                tmp.resolve("registry").toString(),
                String.valueOf(port))
            .redirectError(tmp.resolve("parent.err").toFile())
            .start();
    ProcessHandle registry = null;
    try {
      long registryPid;
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
        String line = out.readLine(); // the parent's log lines come first
        while (line != null && !line.startsWith("registry pid ")) {
          line = out.readLine();
        }
        assertThat(line)
            .as(Files.readString(tmp.resolve("parent.err")))
            .startsWith("registry pid ");
        registryPid = Long.parseLong(line.substring("registry pid ".length()));
      }
      registry = ProcessHandle.of(registryPid).orElseThrow();

      parent
          .destroyForcibly()
          .waitFor(); // kill -9: no shutdown hook runs, nothing closes the child
      long killed = System.nanoTime();
      boolean ended =
          registry
              .onExit()
              .thenApply(p -> true)
              .completeOnTimeout(false, 10, TimeUnit.SECONDS)
              .get();
      double seconds = (System.nanoTime() - killed) / 1e9;
      System.out.printf(
          "registry pid %d ended %.1f s after its parent's kill -9%n", registryPid, seconds);

      assertThat(ended)
          .as("registry pid %d still running 10 s after its parent was killed", registryPid)
          .isTrue();
      assertThat(seconds).as("seconds from the kill to the registry's exit").isLessThan(8);
      assertThat(PortGuard.isFree(port)).isTrue();
    } finally {
      // A failed assertion must not leave the parent (or, were the watch broken, its registry)
      // running.
      parent.destroyForcibly();
      if (registry != null) {
        registry.destroyForcibly();
      }
    }
  }

  @Test
  void shouldRefuseAPortThatSomethingElseListensOn() throws Exception {
    Path out = tmp.resolve("out");
    // The first start picks the ports; take the registry's and start again.
    EmbeddedInfrastructure.start(out, Launcher.registryJar()).close();
    Properties ports = new Properties();
    try (var reader = Files.newBufferedReader(out.resolve(".embedded/ports.properties"))) {
      ports.load(reader);
    }
    int registryPort = Integer.parseInt(ports.getProperty("registry.port"));
    try (ServerSocket squatter = new ServerSocket()) {
      squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), registryPort));
      assertThatThrownBy(() -> EmbeddedInfrastructure.start(out, Launcher.registryJar()))
          .hasMessageContaining("port " + registryPort + " (registry.port in ")
          .hasMessageContaining("pid " + ProcessHandle.current().pid());
    }
    // Nothing was started by the refused run: the broker's port is free again.
    assertThat(PortGuard.isFree(Integer.parseInt(ports.getProperty("kafka.port")))).isTrue();
  }
}
