package org.lwise.stream.launcher;

import java.util.HashMap;
import java.util.Map;
import org.lwise.stream.common.Topic;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.schema.DirmapWritten;

/**
 * A job's finished dirmaps as the aggregator announces them on the dirmaps topic — visible from any
 * process, whichever aggregator instance holds the job.
 */
final class WrittenDirmaps {
  private final String bootstrapServers;
  private final Topic<String, DirmapWritten> topic;

  WrittenDirmaps(String bootstrapServers, Topic<String, DirmapWritten> topic) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
  }

  /** The final dirmap of each condition written so far, by condition id. */
  Map<String, DirmapWritten> of(String jobId) {
    Map<String, DirmapWritten> written = new HashMap<>();
    TopicReader.readAll(
        bootstrapServers,
        topic,
        (key, value) -> {
          if (value != null && value.getJobId().equals(jobId) && value.getComplete()) {
            written.put(value.getConditionId(), value);
          }
        });
    return written;
  }
}
