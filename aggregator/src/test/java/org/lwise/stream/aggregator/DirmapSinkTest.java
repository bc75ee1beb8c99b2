package org.lwise.stream.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.common.Conditions;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Job;

class DirmapSinkTest {
  @TempDir Path out;

  @Test
  void shouldAnnounceAbsolutePathsWhateverTheOutputFolderWasGivenAs() {
    // As a user passes it: relative to the aggregator's working directory, with a detour.
    Path relative = Path.of("").toAbsolutePath().relativize(out.resolve("../" + out.getFileName()));
    assertThat(relative.isAbsolute()).isFalse();
    DirmapSink sink = new DirmapSink(relative, null, null, false, null);

    DirmapWritten written =
        sink.write(
            job(),
            Conditions.NATURAL,
            null,
            new DirmapTable.Table(List.of("im_path"), List.of(List.of("a.png"))),
            0,
            true);

    assertThat(Path.of(written.getCsvPath()))
        .isAbsolute()
        .isEqualTo(out.resolve("ham_natural/ham_natural_dirmap.csv"))
        .isRegularFile();
    assertThat(Path.of(written.getJsonPath()))
        .isAbsolute()
        .isEqualTo(out.resolve("ham_natural/ham_natural_dirmap.json"))
        .isRegularFile();
  }

  @Test
  void shouldWriteTheJsonDirmapWithNumbersAsNumbersAndEmptyCellsAsNull() throws Exception {
    DirmapTable.Table published = PublishedDirmaps.read("ham4_learn_10_dataset_dirmap.csv");
    DirmapWritten written =
        new DirmapSink(out, null, null, false, null)
            .write(job(), Conditions.NATURAL, null, published, 0, true);

    JsonNode records = new ObjectMapper().readTree(Path.of(written.getJsonPath()).toFile());
    assertThat(records).hasSize(2839);
    JsonNode first = records.get(0);
    assertThat(first.get("difficulty").isDouble())
        .as("difficulty sorts as a number in JavaScript")
        .isTrue();
    assertThat(first.get("robust_gt_logit").asDouble()).isEqualTo(2.685800075531006);
    assertThat(first.get("class_num").isInt()).isTrue();
    assertThat(first.get("age").isDouble()).isTrue();
    assertThat(first.get("url").isTextual()).isTrue();
    assertThat(records).anySatisfy(record -> assertThat(record.get("age").isNull()).isTrue());
  }

  static Job job() {
    return Job.newBuilder()
        .setJobId("j1")
        .setDataset("ham")
        .setModelId("m")
        .setLabelColumn("class_num")
        .setColumns(List.of("im_path"))
        .setScore(false)
        .setConditions(List.of())
        .setOutputFormat(ImageFormat.PNG)
        .setRowCount(1)
        .setCreatedAt(Instant.EPOCH)
        .build();
  }
}
