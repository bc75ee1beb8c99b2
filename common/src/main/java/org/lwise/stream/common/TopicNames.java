package org.lwise.stream.common;

import java.util.List;

/** Names of the pipeline's topics. Keys are strings built by {@link RecordKeys}. */
public final class TopicNames {
  /** Job descriptions, keyed by job id. */
  public static final String JOBS = "lwise.jobs";

  /** The work topic: one image record per dirmap row, keyed by job/row. */
  public static final String IMAGES = "lwise.images";

  /** Robust-model scores, keyed by job/row. */
  public static final String SCORES = "lwise.scores";

  /** Natural crops and enhanced images, keyed by job/condition/row. */
  public static final String ENHANCED = "lwise.enhanced";

  /** Uploaded object URLs, keyed by job/condition/row. */
  public static final String UPLOADS = "lwise.uploads";

  /** Refused input with the reason, keyed like the offending record. */
  public static final String DEAD_LETTERS = "lwise.dead-letters";

  /** Written output dirmaps, keyed by job/condition. */
  public static final String DIRMAPS = "lwise.dirmaps";

  /**
   * Images whose score and uploads are all done, with their difficulty, keyed by job/row: the live
   * feed.
   */
  public static final String SCORED_IMAGES = "lwise.scored-images";

  /** Participants' answers from experiment servers, keyed by outcome id (session/trial). */
  public static final String OUTCOMES = "lwise.outcomes";

  /**
   * Records the aggregator cannot deserialize, as Kafka Streams writes them (raw bytes, the error
   * in headers), so that one corrupt record neither stops it nor vanishes.
   */
  public static final String AGGREGATOR_DEAD_LETTERS = "lwise.aggregator-dead-letters";

  public static final List<String> ALL =
      List.of(
          JOBS,
          IMAGES,
          SCORES,
          ENHANCED,
          UPLOADS,
          DEAD_LETTERS,
          DIRMAPS,
          SCORED_IMAGES,
          OUTCOMES,
          AGGREGATOR_DEAD_LETTERS);

  private TopicNames() {}
}
