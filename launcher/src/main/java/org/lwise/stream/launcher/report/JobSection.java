package org.lwise.stream.launcher.report;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.Job;

/** The report's first section: what the job was, how it went, what failed and why. */
final class JobSection {
  /** Failures listed one by one; the rest are counted. */
  static final int FAILURES_LISTED = 200;

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  private final ReportInput input;
  private final DirmapFile natural;
  private final Map<String, DirmapFile> conditions;
  private final int scored;

  JobSection(
      ReportInput input, DirmapFile natural, Map<String, DirmapFile> conditions, int scored) {
    this.input = input;
    this.natural = natural;
    this.conditions = conditions;
    this.scored = scored;
  }

  void write(ReportPage page) {
    Job job = input.job();
    page.heading("Job", "job");
    page.startTable("job");
    page.row("job id", page.escape(job.getJobId()));
    page.row("dataset", page.escape(job.getDataset()));
    page.row(
        "model",
        page.escape(job.getModelId())
            + (input.modelCard() == null
                ? ""
                : " <span class=\"muted\">("
                    + page.escape(input.modelCard().toString())
                    + ")</span>"));
    page.row("label column", page.escape(job.getLabelColumn()));
    page.row(
        "rows",
        job.getRowCount()
            + " submitted, "
            + natural.rows().size()
            + " in the natural dirmap, "
            + scored
            + " scored, "
            + input.failures().size()
            + " failure reports");
    page.row("submitted", job.getCreatedAt() == null ? "" : TIME.format(job.getCreatedAt()));
    if (input.finishedAt() != null) {
      page.row("dirmaps written", TIME.format(input.finishedAt()));
    }
    if (input.seconds() != null) {
      page.row(
          "run time",
          String.format(
              "%.1f s (%.2f images/s)",
              input.seconds(), job.getRowCount() / Math.max(input.seconds(), 1e-9)));
    } else if (input.finishedAt() != null && job.getCreatedAt() != null) {
      page.row(
          "submitted to written",
          String.format(
              "%.1f s",
              (input.finishedAt().toEpochMilli() - job.getCreatedAt().toEpochMilli()) / 1000.0));
    }
    page.endTable();
    conditions(page);
    failures(page);
  }

  private void conditions(ReportPage page) {
    page.heading("Conditions", "conditions");
    page.startTable(
        "conditions",
        "condition",
        "eps",
        "step size",
        "steps",
        "objective",
        "options",
        "rows",
        "dirmap");
    page.row(
        "natural",
        "",
        "",
        "",
        "",
        "",
        String.valueOf(natural.rows().size()),
        page.escape(natural.name()));
    for (Condition c : input.job().getConditions()) {
      DirmapFile dirmap = conditions.get(c.getId());
      StringBuilder options = new StringBuilder();
      if (!c.getDivergeFrom().isEmpty()) {
        options.append("diverge from ").append(c.getDivergeFrom()).append("; ");
      }
      if (c.getAttack()) {
        options.append("attack; ");
      }
      if (c.getRandomStart()) {
        options.append("random start; ");
      }
      if (c.getNumAugs() > 0) {
        options
            .append(c.getNumAugs())
            .append(" views/step: ")
            .append(String.join(", ", c.getAugTypes()));
      }
      page.row(
          page.escape(c.getId()),
          number(c.getEps()),
          number(c.getStepSize()),
          String.valueOf(c.getNumSteps()),
          page.escape(c.getObjective().name().toLowerCase(Locale.ROOT)),
          page.escape(options.toString()),
          dirmap == null ? "" : String.valueOf(dirmap.rows().size()),
          dirmap == null ? "<span class=\"note\">not written</span>" : page.escape(dirmap.name()));
    }
    page.endTable();
  }

  private void failures(ReportPage page) {
    page.heading("Failures", "failures");
    if (input.failures().isEmpty()) {
      page.paragraph(
          "None: every row was scored"
              + (input.job().getConditions().isEmpty() ? "." : " and enhanced."));
      return;
    }
    page.startTable("failures", "stage", "row", "source", "reason", "at");
    for (DeadLetter f :
        input.failures().subList(0, Math.min(FAILURES_LISTED, input.failures().size()))) {
      Instant at = f.getAt();
      page.row(
          page.escape(f.getStage()),
          f.getRowIndex() == null ? "" : String.valueOf(f.getRowIndex()),
          page.escape(f.getSource()),
          page.escape(f.getReason()),
          at == null ? "" : TIME.format(at));
    }
    page.endTable();
    if (input.failures().size() > FAILURES_LISTED) {
      page.paragraph(
          "… and "
              + (input.failures().size() - FAILURES_LISTED)
              + " more on the dead-letter topic.");
    }
  }

  private static String number(double value) {
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }
}
