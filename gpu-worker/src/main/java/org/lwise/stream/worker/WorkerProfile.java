package org.lwise.stream.worker;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where a worker's time goes, for benchmarks ({@code lwise bench-pipeline}): model passes (wall
 * time on the inference thread), CPU time of decoding, encoding and the transaction commits.
 * Process-wide, so workers in one JVM add up; a benchmark reads it before and after a job and takes
 * the difference. Each figure costs a thread-CPU clock read (about a microsecond) per image or
 * batch.
 */
public final class WorkerProfile {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final WorkerProfile PROCESS = new WorkerProfile();

  private final LongAdder modelNanos = new LongAdder();
  private final LongAdder modelCpuNanos = new LongAdder();
  private final LongAdder modelPasses = new LongAdder();
  private final LongAdder decodeCpuNanos = new LongAdder();
  private final LongAdder encodeCpuNanos = new LongAdder();
  private final LongAdder statisticsCpuNanos = new LongAdder();
  private final LongAdder commitCpuNanos = new LongAdder();
  private final LongAdder inputImages = new LongAdder();
  private final LongAdder outputImages = new LongAdder();
  private final LongAdder outputBytes = new LongAdder();
  private final AtomicLong firstModelStart = new AtomicLong();
  private final AtomicLong lastModelEnd = new AtomicLong();

  private WorkerProfile() {}

  /** This process's figures. */
  public static WorkerProfile process() {
    return PROCESS;
  }

  /** CPU time of the calling thread, or 0 where the JVM cannot measure it. */
  static long threadCpuNanos() {
    return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : 0;
  }

  void modelPass(long startNanos, long endNanos, long cpuNanos) {
    modelNanos.add(endNanos - startNanos);
    modelCpuNanos.add(cpuNanos);
    modelPasses.increment();
    firstModelStart.compareAndSet(0, startNanos);
    lastModelEnd.accumulateAndGet(endNanos, Math::max);
  }

  void decoded(long cpuNanos) {
    decodeCpuNanos.add(cpuNanos);
    inputImages.increment();
  }

  void encoded(long cpuNanos, int images, long bytes) {
    encodeCpuNanos.add(cpuNanos);
    outputImages.add(images);
    outputBytes.add(bytes);
  }

  /** The per-input image statistics (entropy, DCT), part of the outcome built on the codec pool. */
  void statistics(long cpuNanos) {
    statisticsCpuNanos.add(cpuNanos);
  }

  void committed(long cpuNanos) {
    commitCpuNanos.add(cpuNanos);
  }

  /** Starts a new span: the next model pass is its first ({@link Snapshot#firstModelStart}). */
  public void startSpan() {
    firstModelStart.set(0);
  }

  /** The figures so far; subtract an earlier snapshot for one job's. */
  public Snapshot snapshot() {
    return new Snapshot(
        modelNanos.sum(),
        modelCpuNanos.sum(),
        modelPasses.sum(),
        decodeCpuNanos.sum(),
        encodeCpuNanos.sum(),
        statisticsCpuNanos.sum(),
        commitCpuNanos.sum(),
        inputImages.sum(),
        outputImages.sum(),
        outputBytes.sum(),
        firstModelStart.get(),
        lastModelEnd.get());
  }

  /**
   * @param modelNanos wall time the inference thread spent in model passes (enhancement and
   *     scoring)
   * @param modelCpuNanos the inference thread's CPU time in them (the engine's own threads not
   *     counted)
   * @param modelPasses micro-batches that went through the model
   * @param encodeCpuNanos building each input's outcome on the codec pool: PNG encoding of its
   *     outputs and, within it, {@code statisticsCpuNanos} for its image statistics
   * @param firstModelStart {@link System#nanoTime()} at the first model pass since {@link
   *     #startSpan()} (0: none)
   * @param lastModelEnd {@link System#nanoTime()} at the end of the latest model pass
   */
  public record Snapshot(
      long modelNanos,
      long modelCpuNanos,
      long modelPasses,
      long decodeCpuNanos,
      long encodeCpuNanos,
      long statisticsCpuNanos,
      long commitCpuNanos,
      long inputImages,
      long outputImages,
      long outputBytes,
      long firstModelStart,
      long lastModelEnd) {
    public Snapshot minus(Snapshot earlier) {
      return new Snapshot(
          modelNanos - earlier.modelNanos,
          modelCpuNanos - earlier.modelCpuNanos,
          modelPasses - earlier.modelPasses,
          decodeCpuNanos - earlier.decodeCpuNanos,
          encodeCpuNanos - earlier.encodeCpuNanos,
          statisticsCpuNanos - earlier.statisticsCpuNanos,
          commitCpuNanos - earlier.commitCpuNanos,
          inputImages - earlier.inputImages,
          outputImages - earlier.outputImages,
          outputBytes - earlier.outputBytes,
          firstModelStart,
          lastModelEnd);
    }
  }
}
