package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortGuardTest {
  @TempDir Path tmp;

  @Test
  void shouldChooseFreePortsBelowTheRangeOfOutgoingConnections() throws Exception {
    int low = PortGuard.ephemeralRange(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))[0];
    Set<Integer> chosen = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      int port = PortGuard.freePortBelowEphemeralRange(chosen);
      assertThat(port).isBetween(10_000, low - 1).isNotIn(chosen);
      chosen.add(port);
      // Free: a server can bind it.
      try (ServerSocket server = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        assertThat(server.getLocalPort()).isEqualTo(port);
      }
    }
  }

  @Test
  void shouldReadTheKernelsRangeAndFallBackToLinuxsDefault() throws Exception {
    Path file = Files.writeString(tmp.resolve("range"), "49152\t65535\n");
    assertThat(PortGuard.ephemeralRange(file)).containsExactly(49152, 65535);
    assertThat(PortGuard.ephemeralRange(tmp.resolve("absent"))).containsExactly(32768, 60999);
  }
}
