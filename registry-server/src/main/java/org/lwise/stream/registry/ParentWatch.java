package org.lwise.stream.registry;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import java.util.Optional;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Ends the registry when the process that started it is gone. The embedded default starts this
 * server as a child JVM; if its parent is killed (kill -9, a crash) nothing else would stop it, and
 * the orphan would hold the port and its database. The parent passes its pid in {@code
 * LWISE_PARENT_PID}; without it (a registry run on its own) nothing is watched.
 */
@ApplicationScoped
public class ParentWatch {
  static final String PARENT_PID = "LWISE_PARENT_PID";
  private static final Logger log = Logger.getLogger(ParentWatch.class);
  private static final long POLL_MILLIS = 500;

  /** Longest a graceful shutdown (database closed) may take before the JVM is halted. */
  private static final long EXIT_GRACE_MILLIS = 10_000;

  void onStart(@Observes StartupEvent started) {
    String pid = System.getenv(PARENT_PID);
    if (pid == null || pid.isBlank()) {
      return;
    }
    // The handle remembers the parent's start time, so a recycled pid does not look alive.
    Optional<ProcessHandle> parent = ProcessHandle.of(Long.parseLong(pid.strip()));
    Thread watcher =
        new Thread(
            () -> {
              while (parent.map(ProcessHandle::isAlive).orElse(false)) {
                sleep(POLL_MILLIS);
              }
              log.warnf("Parent process %s is gone; stopping the registry", pid);
              Quarkus.asyncExit(0);
              sleep(EXIT_GRACE_MILLIS);
              Runtime.getRuntime().halt(0);
            },
            "lwise-parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
