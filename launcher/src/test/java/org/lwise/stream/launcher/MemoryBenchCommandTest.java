package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.lwise.stream.launcher.MemoryBenchCommand.CategoryChange;
import org.lwise.stream.launcher.MemoryBenchCommand.NativeMemory;
import org.lwise.stream.launcher.MemoryBenchCommand.Sample;
import org.lwise.stream.launcher.MemoryBenchCommand.Slope;

/** bench-memory's readings: jcmd's answers as JDK 17 prints them, the worker's metrics, slopes. */
class MemoryBenchCommandTest {
  /** {@code jcmd <pid> VM.native_memory summary} of a JDK 17 JVM (-Xmx256m, G1). */
  private static final String NMT_SUMMARY =
      """
        1987:

        Native Memory Tracking:

        (Omitting categories weighting less than 1KB)

        Total: reserved=1709363KB, committed=332443KB
               malloc: 7003KB #4996
               mmap:   reserved=1702360KB, committed=325440KB

        -                 Java Heap (reserved=262144KB, committed=262144KB)
                                    (mmap: reserved=262144KB, committed=262144KB)

        -                     Class (reserved=1048648KB, committed=200KB)
                                    (classes #486)
                                    (  instance classes #401, array classes #85)
                                    (malloc=72KB #524) (at peak)
                                    (mmap: reserved=1048576KB, committed=128KB)
                                    (  Metadata:   )
                                    (    reserved=65536KB, committed=192KB)
                                    (    used=70KB)
                                    (    waste=122KB =63.38%)
                                    (  Class space:)
                                    (    reserved=1048576KB, committed=128KB)
                                    (    used=4KB)
                                    (    waste=124KB =97.02%)

        -                    Thread (reserved=19506KB, committed=842KB)
                                    (thread #19)
                                    (stack: reserved=19456KB, committed=792KB)
                                    (malloc=30KB #118) (peak=38KB #122)
                                    (arena=20KB #36) (peak=51KB #34)

        -                      Code (reserved=247721KB, committed=7581KB)
                                    (malloc=33KB #574) (at peak)
                                    (mmap: reserved=247688KB, committed=7548KB)

        -                        GC (reserved=47387KB, committed=47387KB)
                                    (malloc=4855KB #933) (at peak)
                                    (mmap: reserved=42532KB, committed=42532KB)

        -                  Compiler (reserved=167KB, committed=167KB)
                                    (malloc=2KB #19) (at peak)
                                    (arena=165KB #5) (peak=499KB #12)

        -                  Internal (reserved=206KB, committed=206KB)
                                    (malloc=170KB #1399) (at peak)
                                    (mmap: reserved=36KB, committed=36KB)

        -                    Symbol (reserved=1131KB, committed=1131KB)
                                    (malloc=771KB #50) (at peak)
                                    (arena=360KB #1) (at peak)

        -    Native Memory Tracking (reserved=104KB, committed=104KB)
                                    (malloc=26KB #457) (at peak)
                                    (tracking overhead=78KB)

        -        Shared class space (reserved=16384KB, committed=12060KB)
                                    (mmap: reserved=16384KB, committed=12060KB)

        -               Arena Chunk (reserved=365KB, committed=365KB)
                                    (malloc=365KB #61) (peak=910KB #62)

        -                    Module (reserved=13KB, committed=13KB)
                                    (malloc=13KB #401) (at peak)

        -                 Safepoint (reserved=8KB, committed=8KB)
                                    (mmap: reserved=8KB, committed=8KB)

        -           Synchronization (reserved=30KB, committed=30KB)
                                    (malloc=30KB #423) (at peak)

        -            Serviceability (reserved=1KB, committed=1KB)
                                    (malloc=1KB #6) (at peak)

        -                 Metaspace (reserved=65546KB, committed=202KB)
                                    (malloc=10KB #6) (at peak)
                                    (mmap: reserved=65536KB, committed=192KB)

        -      String Deduplication (reserved=1KB, committed=1KB)
                                    (malloc=1KB #8) (at peak)

        -           Object Monitors (reserved=1KB, committed=1KB)
                                    (malloc=1KB #3) (at peak)

      """;

  /** {@code jcmd <pid> GC.heap_info} of the same JVM. */
  private static final String G1_HEAP_INFO =
      """
        1987:
         garbage-first heap   total 262144K, used 104085K [0x00000000f0000000, 0x0000000100000000)
          region size 1024K, 1 young (1024K), 0 survivors (0K)
         Metaspace       used 74K, committed 320K, reserved 1114112K
          class space    used 3K, committed 128K, reserved 1048576K
      """;

  /**
   * {@code jcmd <pid> VM.native_memory summary.diff} of a JDK 17 JVM that started 20 threads and
   * allocated an 8 MB direct buffer after its baseline.
   */
  private static final String NMT_DIFF =
      """
        18339:

        Native Memory Tracking:

        (Omitting categories weighting less than 1KB)

        Total: reserved=1737972KB +28708KB, committed=342660KB +10312KB

        -                 Java Heap (reserved=262144KB, committed=262144KB)
                                    (mmap: reserved=262144KB, committed=262144KB)

        -                     Class (reserved=1048660KB +12KB, committed=212KB +12KB)
                                    (classes #598 +113)
                                    (  instance classes #498 +97, array classes #100 +16)
                                    (malloc=84KB +12KB #732 +202)
                                    (mmap: reserved=1048576KB, committed=128KB)
                                   : (  Metadata)
                                    (    reserved=65536KB, committed=192KB)
                                    (    used=128KB +57KB)
                                    (    waste=64KB =33.26% -57KB)
                                   : (  Class space)
                                    (    reserved=1048576KB, committed=128KB)
                                    (    used=5KB +2KB)
                                    (    waste=123KB =96.17% -2KB)

        -                    Thread (reserved=40045KB +20539KB, committed=2989KB +2143KB)
                                    (thread #39 +20)
                                    (stack: reserved=39936KB +20480KB, committed=2880KB +2084KB)
                                    (malloc=65KB +35KB #238 +120)
                                    (arena=44KB +23 #76 +40)

        -                      Code (reserved=247726KB +5KB, committed=7586KB +5KB)
                                    (malloc=38KB +5KB #713 +139)
                                    (mmap: reserved=247688KB, committed=7548KB)

        -                        GC (reserved=47387KB +2KB, committed=47387KB +2KB)
                                    (malloc=4855KB +2KB #958 +26)
                                    (mmap: reserved=42532KB, committed=42532KB)

        -                  Compiler (reserved=167KB, committed=167KB)
                                    (malloc=2KB #21 +2)
                                    (arena=165KB #5)

        -                  Internal (reserved=240KB +35KB, committed=240KB +35KB)
                                    (malloc=204KB +35KB #1550 +152)
                                    (mmap: reserved=36KB, committed=36KB)

        -                     Other (reserved=8192KB +8192KB, committed=8192KB +8192KB)
                                    (malloc=8192KB +8192KB #1 +1)

        -                    Symbol (reserved=1132KB +1KB, committed=1132KB +1KB)
                                    (malloc=772KB +1KB #99 +47)
                                    (arena=360KB #1)

        -    Native Memory Tracking (reserved=121KB +16KB, committed=121KB +16KB)
                                    (malloc=30KB +4KB #516 +59)
                                    (tracking overhead=91KB +13KB)

        -        Shared class space (reserved=16384KB, committed=12060KB)
                                    (mmap: reserved=16384KB, committed=12060KB)

        -               Arena Chunk (reserved=171KB -96KB, committed=171KB -96KB)
                                    (malloc=171KB -96KB)

        -                    Module (reserved=13KB, committed=13KB)
                                    (malloc=13KB #401)

        -                 Safepoint (reserved=8KB, committed=8KB)
                                    (mmap: reserved=8KB, committed=8KB)

        -           Synchronization (reserved=32KB +2KB, committed=32KB +2KB)
                                    (malloc=32KB +2KB #446 +23)

        -            Serviceability (reserved=1KB, committed=1KB)
                                    (malloc=1KB #6)

        -                 Metaspace (reserved=65546KB, committed=202KB)
                                    (malloc=10KB #6)
                                    (mmap: reserved=65536KB, committed=192KB)

        -      String Deduplication (reserved=1KB, committed=1KB)
                                    (malloc=1KB #8)

      """;

  @Test
  void shouldReadEachCategorysChangeSinceTheBaselineLargestFirst() {
    List<CategoryChange> changes = MemoryBenchCommand.parseNativeMemoryDiff(NMT_DIFF);
    assertThat(changes).hasSize(18);
    assertThat(changes.get(0)).isEqualTo(new CategoryChange("Other", 8192, 8192));
    assertThat(changes.get(1)).isEqualTo(new CategoryChange("Thread", 2989, 2143));
    assertThat(changes).contains(new CategoryChange("Java Heap", 262144, 0));
    assertThat(changes).contains(new CategoryChange("Native Memory Tracking", 121, 16));
    assertThat(changes.get(changes.size() - 1))
        .isEqualTo(new CategoryChange("Arena Chunk", 171, -96));
    assertThatThrownBy(
            () -> MemoryBenchCommand.parseNativeMemoryDiff(NMT_SUMMARY.replace("-  ", "")))
        .hasMessageContaining("categories");
  }

  @Test
  void shouldReadTheTotalsAndTheJavaHeapOfTheNativeMemorySummary() {
    NativeMemory nmt = MemoryBenchCommand.parseNativeMemory(NMT_SUMMARY);
    assertThat(nmt.reservedKb()).isEqualTo(1709363);
    assertThat(nmt.committedKb()).isEqualTo(332443);
    assertThat(nmt.heapReservedKb()).isEqualTo(262144);
    assertThat(nmt.heapCommittedKb()).isEqualTo(262144);
  }

  @Test
  void shouldSayWhenNativeMemoryTrackingIsOff() {
    assertThatThrownBy(
            () ->
                MemoryBenchCommand.parseNativeMemory(
                    "1987:\nNative memory tracking is not enabled\n"))
        .hasMessageContaining("NativeMemoryTracking")
        .hasMessageContaining("not enabled");
  }

  @Test
  void shouldReadTheUsedHeapOfG1AndSumGenerations() {
    assertThat(MemoryBenchCommand.parseHeapUsedKb(G1_HEAP_INFO)).isEqualTo(104085);
    // Parallel GC: one line per generation; Metaspace's "used" is not heap.
    String parallel =
        """
        4242:
         PSYoungGen      total 76288K, used 10486K [0x00000000eab00000, 0x00000000f0000000, 0x0000000100000000)
          eden space 65536K, 16% used [0x00000000eab00000,0x00000000eb53d8b8,0x00000000eeb00000)
         ParOldGen       total 175104K, used 2048K [0x00000000c0000000, 0x00000000cab00000, 0x00000000eab00000)
         Metaspace       used 74K, committed 320K, reserved 1114112K
        """;
    assertThat(MemoryBenchCommand.parseHeapUsedKb(parallel)).isEqualTo(12534);
    assertThatThrownBy(() -> MemoryBenchCommand.parseHeapUsedKb("4242:\n"))
        .hasMessageContaining("heap");
  }

  @Test
  void shouldSumTheWorkersBatchCountOverItsTags() {
    String metrics =
        """
        # HELP lwise_worker_batch_images images per micro-batch
        # TYPE lwise_worker_batch_images summary
        lwise_worker_batch_images_count{stage="gpu-worker",} 1200.0
        lwise_worker_batch_images_sum{stage="gpu-worker",} 1200.0
        lwise_worker_batch_images_max{stage="gpu-worker",} 1.0
        """;
    assertThat(MemoryBenchCommand.prometheusSum(metrics, MemoryBenchCommand.BATCH_COUNT_METRIC))
        .isEqualTo(1200.0);
    assertThat(MemoryBenchCommand.prometheusSum("", MemoryBenchCommand.BATCH_COUNT_METRIC))
        .isZero();
  }

  @Test
  void shouldFitTheSlopeOverTheSecondHalfOnly() {
    List<Sample> samples = new ArrayList<>();
    // A warm-up rise of 50 MB in the first half, then 10 KB per 1,000 batches.
    for (int i = 0; i <= 10; i++) {
      long rss = i < 5 ? 500_000 + i * 10_000L : 560_000 + (i - 5) * 10L;
      samples.add(new Sample(i * 1000L, i * 1000L, i, rss, 0, 300_000, 0, 0));
    }
    Slope rss = MemoryBenchCommand.slope(samples, Sample::rssKb);
    assertThat(rss.kbPerThousand()).isCloseTo(10, Offset.offset(1e-9));
    assertThat(rss.standardError()).isCloseTo(0, Offset.offset(1e-9));
    assertThat(rss.samples()).isEqualTo(6);
    assertThat(rss.flatUnder(64)).isTrue();
    assertThat(rss.flatUnder(5)).isFalse();
    assertThat(MemoryBenchCommand.slope(samples, Sample::outsideJvmKb).kbPerThousand())
        .isCloseTo(10, Offset.offset(1e-9));
    // Two samples: a slope, but no error, so it shows nothing flat.
    Slope two = MemoryBenchCommand.slope(samples.subList(0, 2), Sample::rssKb);
    assertThat(two.kbPerThousand()).isCloseTo(10_000, Offset.offset(1e-9));
    assertThat(two.flatUnder(1e12)).isFalse();
    assertThat(MemoryBenchCommand.slope(samples.subList(0, 1), Sample::rssKb).kbPerThousand())
        .isNaN();
  }

  @Test
  void shouldNotCallNoisyGrowthFlat() {
    // 40 KB per 1,000 batches of trend under +-4 MB of noise: the fit cannot rule out 1 MB.
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i <= 10; i++) {
      long rss = 500_000 + i * 40L + (i % 2 == 0 ? 4096 : -4096);
      samples.add(new Sample(i * 1000L, i * 1000L, i, rss, 0, 0, 0, 0));
    }
    Slope rss = MemoryBenchCommand.slope(samples, Sample::rssKb);
    assertThat(rss.standardError()).isGreaterThan(500);
    assertThat(rss.flatUnder(1024)).isFalse();
  }

  @Test
  void shouldFixTheWorkersHeapUnlessAuto() {
    assertThat(MemoryBenchCommand.workerJvmOptions("256m"))
        .containsExactly(
            "-XX:NativeMemoryTracking=summary", "-XX:+AlwaysPreTouch", "-Xms256m", "-Xmx256m");
    assertThat(MemoryBenchCommand.workerJvmOptions("auto"))
        .containsExactly("-XX:NativeMemoryTracking=summary", "-XX:+AlwaysPreTouch");
    assertThatThrownBy(() -> MemoryBenchCommand.workerJvmOptions("-Xmx1g"))
        .hasMessageContaining("--heap");
  }

  @Test
  void shouldWriteOneCsvLinePerSampleInKb() {
    Sample sample = new Sample(2000, 2000, 61.25, 700_000, 2_000_000, 400_000, 262_144, 90_000);
    assertThat(MemoryBenchCommand.csvLine(sample))
        .isEqualTo("2000,2000,61.3,700000,2000000,400000,262144,90000,300000%n".formatted());
  }
}
