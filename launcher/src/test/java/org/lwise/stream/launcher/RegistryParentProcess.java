package org.lwise.stream.launcher;

import java.nio.file.Path;

/**
 * A JVM that starts the embedded registry and then waits to be killed: the parent whose kill -9
 * {@link OrphanServersIT} checks the registry survives only briefly. Arguments: registry jar, data
 * folder, port.
 */
public final class RegistryParentProcess {
  private RegistryParentProcess() {}

  public static void main(String[] args) throws InterruptedException {
    EmbeddedRegistry registry =
        // No class-data archive: the first start's JVM would spend seconds writing one as it
        // exits, and the test times that exit.
        EmbeddedRegistry.start(Path.of(args[0]), Path.of(args[1]), Integer.parseInt(args[2]), null);
    System.out.println("registry pid " + registry.processHandle().orElseThrow().pid());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
