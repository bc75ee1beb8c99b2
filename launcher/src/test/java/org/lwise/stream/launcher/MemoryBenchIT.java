package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lwise bench-memory} end to end on the embedded servers and a real worker process: a short
 * run samples the worker's memory after the warm-up and after each job, and writes the samples.
 */
class MemoryBenchIT {
  @TempDir Path tmp;

  @Test
  void shouldSampleTheWorkerProcessAfterEveryJob() throws Exception {
    Path out = tmp.resolve("bench");
    CommandRun run =
        CommandRun.lwise(
            "bench-memory",
            "--model",
            "../demo/models/fashion-cnn-robust",
            "--batches",
            "20",
            "--sample-every",
            "10",
            "--warmup",
            "5",
            "--out",
            out.toString());
    String output = run.output();
    assertThat(run.code()).as(output + run.errors()).isZero();
    // batches, images, seconds, then five memory columns, all in MB and the JVM's part positive.
    assertThat(output)
        .containsPattern("(?m)^\\s+0\\s+0\\s+0(\\s+-?\\d+\\.\\d){5}$")
        .containsPattern("(?m)^\\s+10\\s+10\\s+\\d+(\\s+-?\\d+\\.\\d){5}$")
        .containsPattern("(?m)^\\s+20\\s+20\\s+\\d+(\\s+-?\\d+\\.\\d){5}$")
        .contains("20 micro-batches (20 images)")
        .contains("NMT committed by category, change from batch 0 to 20")
        .containsPattern("worker RSS\\s+[+-]\\d+\\.\\d MB")
        .containsPattern("Verdict: (FLAT|NOT SHOWN FLAT)");
    List<String> csv = Files.readAllLines(out.resolve("memory.csv"));
    assertThat(csv).hasSize(4);
    assertThat(csv.get(0)).startsWith("batches,images,seconds,rss_kb,");
    for (String line : csv.subList(1, csv.size())) {
      String[] fields = line.split(",");
      long rss = Long.parseLong(fields[3]);
      long nmtCommitted = Long.parseLong(fields[5]);
      long heapCommitted = Long.parseLong(fields[6]);
      // A worker with a model and Kafka clients: its JVM and libtorch take tens of MB at least.
      assertThat(rss).as(line).isGreaterThan(100_000);
      assertThat(nmtCommitted).as(line).isGreaterThan(heapCommitted).isLessThan(rss * 2);
      assertThat(Long.parseLong(fields[8])).as(line).isEqualTo(rss - nmtCommitted);
    }
  }
}
