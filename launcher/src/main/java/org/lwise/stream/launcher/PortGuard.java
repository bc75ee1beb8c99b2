package org.lwise.stream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Makes sure an embedded server's port is free before the server is started, so that a run never
 * talks to a server it did not start (an orphan of a killed run, or anything else) while believing
 * it is its own.
 */
final class PortGuard {
  private PortGuard() {}

  /**
   * Waits up to {@code grace} for {@code port} on loopback to be free (a server whose parent was
   * just killed needs a moment to notice and exit), then fails naming the port and its process.
   */
  static void requireFree(String setting, int port, Path portsFile, Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    while (!isFree(port)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "port "
                + port
                + " ("
                + setting
                + " in "
                + portsFile
                + ") is in use by "
                + listener(port).orElse("another process")
                + "; an embedded server is never shared between runs:"
                + " stop that process and run again");
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for port " + port, e);
      }
    }
  }

  /** Linux's default range for the local ports of outgoing connections. */
  private static final int[] DEFAULT_EPHEMERAL_RANGE = {32768, 60999};

  private static final Path EPHEMERAL_RANGE_FILE =
      Path.of("/proc/sys/net/ipv4/ip_local_port_range");

  /**
   * A free loopback port below the range the kernel draws outgoing connections' local ports from. A
   * port the kernel hands out for {@code bind(0)} lies inside that range, so in the moments between
   * choosing it and the server binding it, any client connection (a readiness probe, a Kafka
   * client) could take it as its local port; one run lost its broker that way.
   */
  static int freePortBelowEphemeralRange(Set<Integer> taken) {
    int low = ephemeralRange(EPHEMERAL_RANGE_FILE)[0];
    int from = 10_000;
    if (low - from >= 1_000) {
      for (int attempt = 0; attempt < 200; attempt++) {
        int port = ThreadLocalRandom.current().nextInt(from, low);
        if (!taken.contains(port) && isFree(port)) {
          return port;
        }
      }
    }
    // A machine whose ephemeral range leaves nothing below it: the kernel's choice.
    for (int attempt = 0; attempt < 20; attempt++) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        if (!taken.contains(socket.getLocalPort())) {
          return socket.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot find a free port on loopback", e);
      }
    }
    throw new IllegalStateException("cannot find a free port on loopback");
  }

  /** The kernel's ephemeral port range, or Linux's default where it cannot be read. */
  static int[] ephemeralRange(Path file) {
    try {
      String[] bounds = Files.readString(file).trim().split("\\s+");
      return new int[] {Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1])};
    } catch (IOException | RuntimeException notLinux) {
      return DEFAULT_EPHEMERAL_RANGE.clone();
    }
  }

  static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(
          true); // as the servers themselves bind: a closed connection's TIME_WAIT is no owner
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  /**
   * "pid 1234 (java -jar …)" for the process listening on {@code port}, where the system tells
   * (Linux /proc).
   */
  static Optional<String> listener(int port) {
    Optional<String> inode = listeningSocketInode(port);
    if (inode.isEmpty()) {
      return Optional.empty();
    }
    String socket = "socket:[" + inode.get() + "]";
    try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
      return processes
          .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .filter(p -> holds(p.resolve("fd"), socket))
          .findFirst()
          .map(p -> describe(Long.parseLong(p.getFileName().toString())));
    } catch (IOException | UncheckedIOException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> listeningSocketInode(int port) {
    String localPort = String.format(Locale.ROOT, ":%04X", port);
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try (Stream<String> lines = Files.lines(Path.of(table))) {
        Optional<String> inode =
            lines
                .skip(1)
                .map(line -> line.trim().split("\\s+"))
                // fields: sl local_address rem_address st … inode; st 0A = LISTEN
                .filter(f -> f.length > 9 && f[1].endsWith(localPort) && f[3].equals("0A"))
                .map(f -> f[9])
                .findFirst();
        if (inode.isPresent()) {
          return inode;
        }
      } catch (IOException | UncheckedIOException notLinux) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  private static boolean holds(Path fdDir, String socket) {
    try (Stream<Path> fds = Files.list(fdDir)) {
      return fds.anyMatch(
          fd -> {
            try {
              return Files.readSymbolicLink(fd).toString().equals(socket);
            } catch (IOException | UnsupportedOperationException gone) {
              return false; // the descriptor closed while we looked: it holds nothing now
            }
          });
    } catch (IOException | UncheckedIOException notOurs) {
      return false; // another user's process, or one that just exited
    }
  }

  private static String describe(long pid) {
    String command = ProcessHandle.of(pid).flatMap(p -> p.info().commandLine()).orElse("");
    if (command.length() > 160) {
      command = command.substring(0, 157) + "...";
    }
    return "pid " + pid + (command.isEmpty() ? "" : " (" + command + ")");
  }
}
