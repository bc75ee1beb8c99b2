package org.lwise.stream.common.stage;

/**
 * One stage of the pipeline as a process runs it (gpu-worker, uploader, aggregator, watch). The
 * {@link StageRunner} drives every stage through the same steps: {@link #start}, wait for {@link
 * #isReady}, {@link #run} until {@link #stop} or a failure, {@link #close}.
 */
public interface Stage extends AutoCloseable {
  /** Short name for the console, logs and metrics, e.g. {@code gpu-worker}. */
  String name();

  /**
   * Starts background work (Kafka Streams threads); stages that work in {@link #run} do nothing
   * here.
   */
  default void start() throws Exception {}

  /**
   * True once the stage does its work: consuming with partitions assigned, or RUNNING with
   * queryable stores.
   */
  boolean isReady();

  /** What the stage consumes and where, for its ready line (read once it is ready). */
  String describe();

  /** Works on the calling thread until {@link #stop}; throws when the stage fails. */
  void run() throws Exception;

  /** Asks {@link #run} to return soon; called from another thread (shutdown hook). */
  void stop();

  /** What its throughput lines count: images, rows. */
  default String unit() {
    return "images";
  }

  /**
   * Activity to report on the console; stages without per-job counts return {@link
   * StageActivity#NONE}.
   */
  default StageActivity activity() {
    return StageActivity.NONE;
  }

  @Override
  void close();
}
