package org.lwise.stream.aggregator.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.RowState;

/** Jobs and their conditions as the API shows them. */
final class JobViews {
  private JobViews() {}

  static ObjectNode jobJson(JobProgress progress, List<RowState> rows) {
    Job job = progress.getJob();
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("job_id", job.getJobId());
    json.put("dataset", job.getDataset());
    json.put("model_id", job.getModelId());
    json.put("created_at", job.getCreatedAt().toString());
    json.put("open_ended", job.getOpenEnded());
    if (job.getReferenceJobId() == null) {
      json.putNull("reference_job_id");
    } else {
      json.put("reference_job_id", job.getReferenceJobId());
    }
    conditionsJson(json.putArray("conditions"), job);
    json.put("rows", job.getRowCount());
    json.put("scored", rows.stream().filter(r -> r.getRobustGtLogit() != null).count());
    json.put("uploaded", progress.getCompleted());
    json.put("failed", progress.getFailed());
    json.put("complete", progress.getEmitted());
    return json;
  }

  static void conditionsJson(ArrayNode list, Job job) {
    ObjectNode natural = list.addObject();
    natural.put("id", Conditions.NATURAL);
    natural.put("eps", 0.0);
    for (Condition condition : job.getConditions()) {
      ObjectNode json = list.addObject();
      json.put("id", condition.getId());
      json.put("eps", condition.getEps());
      json.put("step_size", condition.getStepSize());
      json.put("num_steps", condition.getNumSteps());
      json.put("objective", condition.getObjective().name().toLowerCase(Locale.ROOT));
      json.put("attack", condition.getAttack());
    }
  }

  static Set<String> conditionIds(Job job) {
    Set<String> ids = new LinkedHashSet<>();
    ids.add(Conditions.NATURAL);
    job.getConditions().forEach(c -> ids.add(c.getId()));
    return ids;
  }
}
