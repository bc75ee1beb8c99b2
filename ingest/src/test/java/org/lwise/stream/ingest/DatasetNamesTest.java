package org.lwise.stream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.common.S3Layout;
import org.lwise.stream.schema.Condition;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Objective;

/** A dataset name becomes folders and bucket names: a bad one is refused at submission. */
class DatasetNamesTest {
  private static JobRequest request(String dataset, List<Condition> conditions) {
    return new JobRequest(
        Path.of("d.csv"), dataset, "model", "class_num", true, conditions, ImageFormat.PNG, null);
  }

  @Test
  void shouldRefuseNamesThatWouldEscapeTheOutputFolderOrBreakBucketNames() {
    String tooLong = "a".repeat(64);
    for (String bad :
        List.of(
            "../../x", "..", ".", "a/b", "a\\b", "", " ", "-x", "a..b", tooLong, "Nævus", "x y")) {
      assertThatThrownBy(() -> request(bad, List.of()))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("--dataset")
          .hasMessageContaining("is not a valid dataset name")
          .hasMessageContaining(DatasetNames.RULE);
    }
    assertThatThrownBy(() -> request("../../x", List.of()))
        .hasMessageStartingWith("--dataset '../../x' is not");
    assertThatThrownBy(() -> request("Nævus", List.of()))
        .hasMessageStartingWith("--dataset 'N\\u00e6vus' is not");
    assertThatThrownBy(() -> request(null, List.of()))
        .hasMessageStartingWith("--dataset (none) is not");
  }

  @Test
  void shouldAcceptOrdinaryNames() {
    for (String good : List.of("HAM10000", "fashion-mnist", "mhist_v2.1", "a", "a".repeat(63))) {
      assertThat(request(good, List.of()).dataset()).isEqualTo(good);
    }
  }

  @Test
  void shouldRefuseAtSubmissionADatasetWhoseBucketNamesWouldBeTooLong() {
    S3Layout layout =
        new S3Layout(S3Layout.Mode.BUCKET_PER_CONDITION, "lwise", null, S3Layout.AWS_URL_TEMPLATE);
    List<Condition> sweep =
        List.of(Conditions.create(8, 0.5, 16, Objective.LOGIT, List.of(), false));
    IngestPipeline.checkBuckets(request("ham4", sweep), layout);
    assertThatThrownBy(() -> IngestPipeline.checkBuckets(request("a".repeat(50), sweep), layout))
        .hasMessageContaining("bucket name longer than S3's 63 characters");
  }
}
