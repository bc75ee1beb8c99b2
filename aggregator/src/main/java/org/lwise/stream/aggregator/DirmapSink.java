package org.lwise.stream.aggregator;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.lwise.stream.common.AtomicFiles;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.S3Buckets;
import org.lwise.stream.common.S3Layout;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.Job;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;

/**
 * Writes an output dirmap as CSV and as JSON (records orientation, typed as pandas types it: see
 * {@link DirmapJson}; as the experiments load it) to {@code <out>/<dataset>_<condition>/} and, when
 * an S3 client is given, to the condition's bucket under {@code _dirmaps/}. Both are overwritten
 * whole, so writing again is harmless. S3 calls that fail because the store cannot be reached are
 * retried with backoff; when that runs out the error is thrown and the caller writes the dirmap
 * again later.
 */
public final class DirmapSink {
  private final Path outputDir;
  private final S3AsyncClient s3;
  private final S3Layout layout;
  private final boolean publicRead;
  private final S3Buckets buckets;
  private final InfrastructureRetry retry;

  /**
   * @param outputDir made absolute here: the paths on {@code lwise.dirmaps} are opened by other
   *     processes, which need not share this one's working directory
   * @param s3 null to write files only
   */
  public DirmapSink(
      Path outputDir,
      S3AsyncClient s3,
      S3Layout layout,
      boolean publicRead,
      InfrastructureRetry retry) {
    this.outputDir = outputDir.toAbsolutePath().normalize();
    this.s3 = s3;
    this.layout = layout;
    this.publicRead = publicRead;
    this.buckets = s3 == null ? null : new S3Buckets(s3, publicRead);
    this.retry = retry;
  }

  /**
   * Refuses a job whose dataset or condition names would put dirmaps outside their folder (a
   * record's content, so the job record is dead-lettered rather than written somewhere else).
   */
  static void checkNames(Job job) {
    checkName("dataset", job.getDataset());
    job.getConditions().forEach(c -> checkName("condition", c.getId()));
  }

  private static void checkName(String what, String name) {
    if (name == null
        || name.isEmpty()
        || name.startsWith(".")
        || name.contains("/")
        || name.contains("\\")) {
      throw new IllegalArgumentException(what + " name '" + name + "' is not a folder name");
    }
  }

  /**
   * The dirmap's file name without extension. A watch job's rows land in the same folders and
   * buckets as its reference job's, under their own dirmap ({@code _incoming}), so the reference
   * dirmap stays as it was; a second watch job of the same reference job and dataset adds its
   * suffix so that the two never overwrite each other.
   *
   * @param incomingSuffix null for the plain incoming name
   */
  static String fileStem(Job job, String conditionId, String incomingSuffix) {
    String name = job.getDataset() + "_" + conditionId;
    if (!job.getOpenEnded()) {
      return name + "_dirmap";
    }
    return name + "_incoming" + (incomingSuffix == null ? "" : "_" + incomingSuffix) + "_dirmap";
  }

  public DirmapWritten write(
      Job job,
      String conditionId,
      String incomingSuffix,
      DirmapTable.Table table,
      long failed,
      boolean isFinal) {
    String name = job.getDataset() + "_" + conditionId;
    String file = fileStem(job, conditionId, incomingSuffix);
    byte[] csv = csv(table);
    byte[] json = DirmapJson.records(table);
    Path folder = outputDir.resolve(name);
    Path csvPath = folder.resolve(file + ".csv");
    Path jsonPath = folder.resolve(file + ".json");
    AtomicFiles.write(csvPath, csv);
    AtomicFiles.write(jsonPath, json);
    String csvUrl = "";
    String jsonUrl = "";
    if (s3 != null) {
      String bucket = layout.bucket(job.getDataset(), conditionId);
      String csvKey = layout.key(job.getDataset(), conditionId, "_dirmaps/" + file + ".csv");
      String jsonKey = layout.key(job.getDataset(), conditionId, "_dirmaps/" + file + ".json");
      retry.get(
          () -> {
            buckets.ensure(bucket).join();
            put(bucket, csvKey, csv, "text/csv; charset=utf-8");
            put(bucket, jsonKey, json, "application/json");
            return null;
          });
      csvUrl = layout.url(bucket, csvKey);
      jsonUrl = layout.url(bucket, jsonKey);
    }
    return DirmapWritten.newBuilder()
        .setJobId(job.getJobId())
        .setConditionId(conditionId)
        .setRows(table.rows().size())
        .setFailed(failed)
        .setCsvPath(csvPath.toString())
        .setJsonPath(jsonPath.toString())
        .setCsvUrl(csvUrl)
        .setJsonUrl(jsonUrl)
        .setComplete(isFinal)
        .setDataset(job.getDataset())
        .build();
  }

  public static byte[] csv(DirmapTable.Table table) {
    StringWriter text = new StringWriter();
    try (CSVPrinter printer =
        new CSVPrinter(text, CSVFormat.DEFAULT.builder().setRecordSeparator("\n").get())) {
      printer.printRecord(table.header());
      for (List<String> row : table.rows()) {
        List<String> cells = new ArrayList<>(row.size());
        for (String cell : row) {
          cells.add(cell == null ? "" : cell);
        }
        printer.printRecord(cells);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  private void put(String bucket, String key, byte[] bytes, String contentType) {
    s3.putObject(
            b -> {
              b.bucket(bucket).key(key).contentType(contentType);
              if (publicRead) {
                b.acl(ObjectCannedACL.PUBLIC_READ);
              }
            },
            AsyncRequestBody.fromBytes(bytes))
        .join();
  }
}
