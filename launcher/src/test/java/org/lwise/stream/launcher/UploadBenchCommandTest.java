package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.ObjectStore;
import org.lwise.stream.uploader.UploaderApp;
import org.lwise.stream.uploader.UploaderConfig;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * bench-upload against the real in-process S3Proxy: a row per size and concurrency, and the objects
 * in the store at their sizes. Its speed is not checked.
 */
class UploadBenchCommandTest {
  /** size KB, conc, objects, seconds, objects/s, MB/s, p50, p99, 4 x CPU, disk B/obj. */
  private static final Pattern ROW =
      Pattern.compile(
          "(?m)^\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+([\\d.]+)\\s+([\\d.]+)"
              + "(?:\\s+[\\d.]+){7}\\s+(-?\\d+)$");

  @TempDir Path tmp;

  @Test
  void shouldPrintARowPerSizeAndConcurrencyAndStoreEveryObjectAtItsSize() throws Exception {
    Path out = tmp.resolve("bench");
    CommandRun run =
        CommandRun.of(
            new UploadBenchCommand(),
            "--sizes",
            "1,4",
            "--count",
            "5",
            "--concurrency",
            "1,2",
            "--warmup",
            "2",
            "--out",
            out.toString());
    String output = run.output();
    assertThat(run.code()).as(output + run.errors()).isZero();
    assertThat(output).contains("CPU cores").contains("load average");

    List<String> rows = new ArrayList<>();
    Matcher row = ROW.matcher(output);
    while (row.find()) {
      int sizeKb = Integer.parseInt(row.group(1));
      rows.add(sizeKb + "/" + row.group(2) + "/" + row.group(3));
      assertThat(Double.parseDouble(row.group(5))).as("objects/s of %s", row.group()).isPositive();
      assertThat(Long.parseLong(row.group(6)))
          .as("disk of %s", row.group())
          .isEqualTo(sizeKb * 1024L);
    }
    assertThat(rows).as(output).containsExactly("1/1/5", "1/2/5", "4/1/5", "4/2/5");

    // The uploader's layout: a bucket per round, the measured objects beside the warm-up's.
    for (String round : List.of("1kb-c1", "1kb-c2", "4kb-c1", "4kb-c2")) {
      Path bucket = out.resolve("s3").resolve("lwise-bench-" + round);
      int size = Integer.parseInt(round.substring(0, 1)) * 1024;
      for (int i = 0; i < 5; i++) {
        assertThat(Files.size(bucket.resolve(String.format("img-%05d.png", i)))).isEqualTo(size);
      }
      assertThat(Files.size(bucket.resolve("warmup/img-00001.png"))).isEqualTo(size);
    }
  }

  @Test
  void shouldStopAtAFailedPutNamingItsKey() throws Exception {
    // The store goes away: its endpoint refuses connections, and the SDK's retries run out.
    String endpoint;
    try (EmbeddedS3 s3 =
        EmbeddedS3.start(
            tmp.resolve("s3"), EmbeddedInfrastructure.freePort(), List.of(EmbeddedS3.ANY_ORIGIN))) {
      endpoint = s3.endpoint();
    }
    UploaderConfig config = UploadBenchCommand.config(endpoint, 2);
    try (S3AsyncClient client = UploaderApp.s3Client(config)) {
      ObjectStore store = UploaderApp.objectStore(config, client);
      UploadBenchCommand.Payloads payloads = UploadBenchCommand.Payloads.random(1024, 2, 1);
      assertThatThrownBy(
              () ->
                  UploadBenchCommand.put(
                      store,
                      config.connection().s3Layout(),
                      "lwise-bench-1kb-c2",
                      "1kb-c2",
                      "img-",
                      5,
                      2,
                      payloads,
                      0))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("PUT s3://lwise-bench-1kb-c2/img-0000")
          .hasMessageContaining(" failed: ")
          .hasCauseInstanceOf(Exception.class);
    }
  }
}
