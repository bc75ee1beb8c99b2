package org.lwise.stream.launcher;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.lwise.stream.common.DeadLetters;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.TopicReader;
import org.lwise.stream.schema.DeadLetter;

/**
 * A job's failed rows as {@code run}, {@code status} and {@code submit --wait} print them: grouped
 * by stage and reason class ({@link DeadLetters#reasonClass}), most frequent first, each group with
 * its count, its first rows and one full reason.
 */
final class FailureReasons {
  private static final int FIRST_ROWS = 5;
  private static final int GROUPS = 10;

  private final List<DeadLetter> failures;
  private final String topic;

  FailureReasons(List<DeadLetter> failures, String topic) {
    this.failures = List.copyOf(failures);
    this.topic = topic;
  }

  /** The job's dead letters, read from the topic (any process can ask). */
  static FailureReasons read(String bootstrapServers, PipelineTopics topics, String jobId) {
    List<DeadLetter> failures = new ArrayList<>();
    TopicReader.readAll(
        bootstrapServers,
        topics.deadLetters(),
        (key, dead) -> {
          if (dead != null && jobId.equals(dead.getJobId())) {
            failures.add(dead);
          }
        });
    return new FailureReasons(failures, topics.deadLetters().name());
  }

  boolean isEmpty() {
    return failures.isEmpty();
  }

  void print(PrintStream console) {
    if (failures.isEmpty()) {
      return;
    }
    Map<String, List<DeadLetter>> groups =
        failures.stream()
            .collect(
                Collectors.groupingBy(
                    dead ->
                        "[" + dead.getStage() + "] " + DeadLetters.reasonClass(dead.getReason()),
                    LinkedHashMap::new,
                    Collectors.toList()));
    console.printf("Failures: %d (dead letters on topic %s), by reason:%n", failures.size(), topic);
    groups.entrySet().stream()
        .sorted(
            Comparator.comparingInt(
                (Map.Entry<String, List<DeadLetter>> e) -> -e.getValue().size()))
        .limit(GROUPS)
        .forEach(
            group -> {
              List<DeadLetter> letters = group.getValue();
              List<Long> rows =
                  letters.stream()
                      .map(DeadLetter::getRowIndex)
                      .filter(r -> r != null)
                      .sorted()
                      .distinct()
                      .toList();
              String rowList =
                  rows.isEmpty()
                      ? ""
                      : "; rows "
                          + rows.stream()
                              .limit(FIRST_ROWS)
                              .map(String::valueOf)
                              .collect(Collectors.joining(", "))
                          + (rows.size() > FIRST_ROWS ? ", ..." : "");
              console.printf("  %5d  %s%s%n", letters.size(), group.getKey(), rowList);
              console.printf("         e.g. %s%n", letters.get(0).getReason());
            });
    if (groups.size() > GROUPS) {
      console.printf("  ... and %d more reasons on topic %s%n", groups.size() - GROUPS, topic);
    }
  }
}
