package org.lwise.stream.aggregator.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.apache.commons.math3.stat.interval.ConfidenceInterval;
import org.apache.commons.math3.stat.interval.WilsonScoreInterval;
import org.lwise.stream.schema.HumanTally;

/**
 * Participants' answers to an image as the API shows them: accuracy with its Wilson interval,
 * reaction times.
 */
final class HumanStats {
  static final double CONFIDENCE = 0.95;

  private HumanStats() {}

  /** The sum of an image's tallies over its conditions. */
  static HumanTally pooled(Map<String, HumanTally> byCondition) {
    HumanTally all = HumanTally.newBuilder().build();
    List<Double> times = new ArrayList<>();
    for (HumanTally tally : byCondition.values()) {
      all.setTrials(all.getTrials() + tally.getTrials());
      all.setCorrect(all.getCorrect() + tally.getCorrect());
      times.addAll(tally.getReactionMs());
    }
    all.setReactionMs(times);
    return all;
  }

  /**
   * The image's {@code human} field: pooled over conditions, then by condition; null when nobody
   * answered.
   */
  static ObjectNode json(Map<String, HumanTally> byCondition) {
    if (byCondition.isEmpty()) {
      return null;
    }
    ObjectNode json = tallyJson(pooled(byCondition));
    ObjectNode conditions = json.putObject("by_condition");
    new TreeMap<>(byCondition)
        .forEach((condition, tally) -> conditions.set(condition, tallyJson(tally)));
    return json;
  }

  static ObjectNode tallyJson(HumanTally tally) {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("trials", tally.getTrials());
    json.put("correct", tally.getCorrect());
    if (tally.getTrials() == 0) {
      json.putNull("accuracy");
      return json;
    }
    json.put("accuracy", (double) tally.getCorrect() / tally.getTrials());
    ConfidenceInterval interval =
        new WilsonScoreInterval()
            .createInterval((int) tally.getTrials(), (int) tally.getCorrect(), CONFIDENCE);
    json.put("ci_low", interval.getLowerBound());
    json.put("ci_high", interval.getUpperBound());
    if (!tally.getReactionMs().isEmpty()) {
      DescriptiveStatistics times = new DescriptiveStatistics();
      tally.getReactionMs().forEach(times::addValue);
      json.put("mean_rt_ms", times.getMean());
      json.put("median_rt_ms", times.getPercentile(50));
    }
    return json;
  }
}
