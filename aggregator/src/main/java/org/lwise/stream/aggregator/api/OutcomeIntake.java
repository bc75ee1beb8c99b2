package org.lwise.stream.aggregator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.lwise.stream.aggregator.api.ImageIndex.Hit;
import org.lwise.stream.common.Topic;
import org.lwise.stream.schema.Outcome;

/**
 * {@code POST /api/v1/outcomes}: a participant session's answers, as the published L-WISE
 * experiments record them (jsPsych data objects carrying a {@code trial_outcome}) or as plain
 * outcome objects. Each answer is checked and resolved to the image and condition shown, then
 * written to {@code lwise.outcomes} keyed {@code <session>/<trial>}: the aggregator counts an id
 * once, so posting a session again adds nothing. Bad answers are named one by one; the good ones of
 * the same request are recorded all the same.
 */
final class OutcomeIntake implements AutoCloseable {
  /** A checked answer, still to be resolved to an image. */
  private record Answer(
      int index,
      String outcomeId,
      String lookup,
      boolean correct,
      Integer choice,
      Integer correctChoice,
      Double reactionMs,
      Integer block,
      String trialType,
      Integer conditionIdx,
      String url) {}

  /**
   * What a request did: answers written, entries that are not answers, and each bad one's reason.
   */
  record Result(String sessionId, int accepted, int ignored, List<ObjectNode> errors) {
    ObjectNode json() {
      ObjectNode json = JsonNodeFactory.instance.objectNode();
      json.put("session_id", sessionId);
      json.put("accepted", accepted);
      json.put("ignored", ignored);
      json.put("rejected", errors.size());
      ArrayNode list = json.putArray("errors");
      errors.forEach(list::add);
      return json;
    }
  }

  private final KafkaProducer<String, Outcome> producer;
  private final Topic<String, Outcome> topic;

  OutcomeIntake(String bootstrapServers, Topic<String, Outcome> topic) {
    this.topic = topic;
    this.producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000),
            new StringSerializer(),
            topic.valueSerde().serializer());
  }

  /**
   * @param body the request's JSON: {@code {"session_id": …, "trials": [...]}}, or an array of
   *     trials with the session id in {@code sessionFromQuery}
   * @param resolver image lookups ({@link ImageIndex} keys) to what they name, across instances
   */
  Result record(
      JsonNode body, String sessionFromQuery, Function<Set<String>, Map<String, Hit>> resolver) {
    JsonNode trials = body.isArray() ? body : body.get("trials");
    String session =
        body.isObject() && body.hasNonNull("session_id")
            ? body.get("session_id").asText()
            : sessionFromQuery;
    if (session == null || session.isBlank()) {
      throw ApiException.badRequest(
          "session_id is missing: send {\"session_id\": \"...\", \"trials\": [...]} "
              + "or the trials array with ?session_id=");
    }
    if (session.contains("/") || session.length() > 200) {
      throw ApiException.badRequest("session_id must be at most 200 characters without '/'");
    }
    if (trials == null || !trials.isArray()) {
      throw ApiException.badRequest(
          "trials must be an array of jsPsych data objects (with trial_outcome) or of outcome objects");
    }
    List<Answer> answers = new ArrayList<>();
    List<ObjectNode> errors = new ArrayList<>();
    int ignored = 0;
    for (int i = 0; i < trials.size(); i++) {
      JsonNode trial = trials.get(i);
      try {
        Answer answer = parse(session, i, trial);
        if (answer == null) {
          ignored++;
        } else {
          answers.add(answer);
        }
      } catch (IllegalArgumentException bad) {
        errors.add(error(i, trial, bad.getMessage()));
      }
    }
    Set<String> lookups = new LinkedHashSet<>();
    answers.forEach(a -> lookups.add(a.lookup()));
    Map<String, Hit> hits = lookups.isEmpty() ? Map.of() : resolver.apply(lookups);
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    Instant now = Instant.now();
    for (Answer answer : answers) {
      Hit hit = hits.get(answer.lookup());
      if (hit == null) {
        errors.add(
            error(
                answer.index(),
                trials.get(answer.index()),
                answer.url() != null
                    ? "no scored image has the stimulus URL " + answer.url()
                    : "no scored image is " + answer.lookup().replace('\t', ' ')));
        continue;
      }
      Outcome outcome =
          Outcome.newBuilder()
              .setOutcomeId(answer.outcomeId())
              .setSessionId(session)
              .setDataset(hit.dataset())
              .setJobId(hit.jobId())
              .setRowIndex(hit.rowIndex())
              .setConditionId(hit.condition())
              .setCorrect(answer.correct())
              .setChoice(answer.choice())
              .setCorrectChoice(answer.correctChoice())
              .setReactionMs(answer.reactionMs())
              .setBlock(answer.block())
              .setTrialType(answer.trialType())
              .setConditionIdx(answer.conditionIdx())
              .setStimulusUrl(answer.url())
              .setReceivedAt(now)
              .build();
      sent.add(producer.send(new ProducerRecord<>(topic.name(), outcome.getOutcomeId(), outcome)));
    }
    producer.flush();
    for (Future<RecordMetadata> future : sent) {
      try {
        future.get(30, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        throw ApiException.unavailable(
            "answers could not be written to Kafka ("
                + e.getMessage()
                + "); none of this request's answers may be missing if it is sent again, so send it again");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw ApiException.unavailable("interrupted while writing answers");
      }
    }
    errors.sort((a, b) -> Integer.compare(a.get("trial").asInt(), b.get("trial").asInt()));
    return new Result(session, sent.size(), ignored, errors);
  }

  /** An answer, or null for a data entry that is not one (instructions, preload, surveys). */
  private static Answer parse(String session, int index, JsonNode trial) {
    if (!trial.isObject()) {
      throw new IllegalArgumentException("a trial must be a JSON object");
    }
    JsonNode outcome = trial.get("trial_outcome");
    if (outcome == null || outcome.isNull()) {
      if (!trial.has("perf") && !trial.has("stimulus_image_url")) {
        return null;
      }
      outcome = trial;
    } else if (!outcome.isObject()) {
      throw new IllegalArgumentException("trial_outcome must be an object");
    }
    JsonNode perf = outcome.get("perf");
    boolean correct;
    if (perf != null && perf.isNumber() && (perf.asDouble() == 0 || perf.asDouble() == 1)) {
      correct = perf.asDouble() == 1;
    } else if (perf != null && perf.isBoolean()) {
      correct = perf.asBoolean();
    } else {
      throw new IllegalArgumentException(
          "perf must be 0 or 1, not " + (perf == null ? "missing" : perf.toString()));
    }
    String url = text(outcome, "stimulus_image_url");
    String condition = text(outcome, "condition_id");
    Long row = whole(outcome, "row_index");
    String lookup;
    if (url != null) {
      lookup = ImageIndex.urlKey(url);
    } else if (row != null && text(outcome, "job_id") != null) {
      lookup =
          ImageIndex.rowKey(
              text(outcome, "job_id"), row, condition == null ? "natural" : condition);
    } else if (row != null && text(outcome, "dataset") != null) {
      lookup =
          ImageIndex.datasetRowKey(
              text(outcome, "dataset"), row, condition == null ? "natural" : condition);
    } else {
      throw new IllegalArgumentException(
          "no stimulus_image_url (or dataset or job_id with row_index) says which image was shown");
    }
    Long trialIndex = whole(trial, "trial_index");
    String outcomeId = session + "/" + (trialIndex != null ? trialIndex : index);
    Double reaction = number(outcome, "reaction_time_msec");
    if (reaction == null) {
      reaction = number(trial, "rt"); // jsPsych's own reaction time
    }
    return new Answer(
        index,
        outcomeId,
        lookup,
        correct,
        integer(outcome, "i_choice"),
        integer(outcome, "i_correct_choice"),
        reaction,
        integer(outcome, "block"),
        text(outcome, "trial_type"),
        integer(outcome, "condition_idx"),
        url);
  }

  private static ObjectNode error(int index, JsonNode trial, String message) {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("trial", index);
    Long trialIndex = trial != null && trial.isObject() ? whole(trial, "trial_index") : null;
    if (trialIndex != null) {
      json.put("trial_index", trialIndex);
    }
    json.put("error", message);
    return json;
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() || value.asText().isBlank() ? null : value.asText();
  }

  private static Long whole(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (value.isIntegralNumber()
        || value.isNumber() && value.asDouble() == Math.rint(value.asDouble())) {
      return value.asLong();
    }
    if (value.isTextual() && value.asText().matches("-?\\d{1,18}")) {
      return Long.parseLong(value.asText());
    }
    throw new IllegalArgumentException(field + " must be a whole number, not " + value);
  }

  private static Double number(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (value.isNumber()) {
      return value.asDouble();
    }
    if (value.isTextual() && value.asText().matches("-?\\d+(\\.\\d+)?")) {
      return Double.parseDouble(value.asText());
    }
    throw new IllegalArgumentException(field + " must be a number, not " + value);
  }

  private static Integer integer(JsonNode node, String field) {
    Long value = whole(node, field);
    return value == null ? null : (int) (long) value;
  }

  @Override
  public void close() {
    producer.close();
  }
}
