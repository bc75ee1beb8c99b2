package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputLockTest {
  /** Holds the lock of the folder in args[0] until killed (the other run of the test). */
  public static final class HoldLock {
    public static void main(String[] args) throws Exception {
      try (OutputLock lock = OutputLock.acquire(Path.of(args[0]), "lwise run --out " + args[0])) {
        System.out.println("locked");
        Thread.sleep(120_000);
      }
    }
  }

  @Test
  void shouldStopASecondRunAtOnceNamingTheProcessThatHoldsTheFolder(@TempDir Path out)
      throws Exception {
    Process holder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                HoldLock.class.getName(),
                out.toString())
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader printed =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(printed.readLine()).isEqualTo("locked");
      long started = System.nanoTime();
      CommandRun second =
          CommandRun.lwise(
              "run",
              "--out",
              out.toString(),
              "--model",
              "../demo/models/fashion-cnn-standard",
              "--dirmap",
              out.resolve("dirmap.csv").toString());
      double seconds = (System.nanoTime() - started) / 1e9;
      assertThat(second.code()).isEqualTo(1);
      assertThat(second.errors())
          .isEqualTo(
              "lwise: output folder "
                  + out.toAbsolutePath().normalize()
                  + " is in use by pid "
                  + holder.pid()
                  + " (lwise run --out "
                  + out
                  + "); wait for it, stop it, or choose another --out"
                  + System.lineSeparator());
      assertThat(seconds).isLessThan(5);
    } finally {
      holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    // The OS released the killed holder's lock: nothing to clean up.
    try (OutputLock lock = OutputLock.acquire(out, "lwise run")) {
      assertThat(out.resolve(OutputLock.FILE_NAME))
          .content()
          .startsWith("pid " + ProcessHandle.current().pid());
    }
  }
}
