package org.lwise.stream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lwise.stream.ingest.IngestRecords.TOPICS;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.clients.producer.MockProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.dirmap.Dirmap;
import org.lwise.stream.dirmap.DirmapReader;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.ImageFormat;

class IngestPipelineTest {
  @TempDir Path dir;
  private final MockProducer<byte[], byte[]> producer = IngestRecords.producer();

  private IngestReport submit(String rows, ImageFormat format) throws Exception {
    Files.createDirectories(dir.resolve("img"));
    for (String name : new String[] {"a.jpg", "a.png", "b.jpg"}) {
      Files.writeString(dir.resolve("img").resolve(name), "bytes of " + name);
    }
    Path csv = dir.resolve("dirmap.csv");
    Files.writeString(csv, "split,class,class_num,im_path\n" + rows);
    Dirmap dirmap = new DirmapReader().read(csv);
    IngestPipeline pipeline =
        new IngestPipeline(IngestRecords.config(0), TOPICS, id -> producer, null);
    return pipeline.publish(
        IngestRecords.request(csv, format, null),
        dirmap,
        dirmap.column("class_num"),
        "job",
        done -> {});
  }

  @Test
  void shouldDeadLetterTheSecondRowOfADuplicateImPathNamingTheFirst() throws Exception {
    IngestReport report =
        submit(
            "test,Bag,8,img/a.jpg\ntest,Dress,3,img/b.jpg\ntest,Bag,8,img\\a.jpg\n",
            ImageFormat.PNG);

    assertThat(report.published()).isEqualTo(2);
    assertThat(report.deadLettered()).isEqualTo(1);
    assertThat(IngestRecords.keys(producer, TOPICS.images()))
        .containsExactly("job/000000000000", "job/000000000001");
    assertThat(IngestRecords.values(producer, TOPICS.deadLetters()))
        .singleElement()
        .satisfies(
            dead -> {
              assertThat(dead.getRowIndex()).isEqualTo(2);
              assertThat(dead.getReason())
                  .isEqualTo("row 2 (line 4): duplicate im_path 'img\\a.jpg' (row 0 is the first)");
            });
    assertThat(producer.commitCount()).as("one transaction with the rest").isEqualTo(1);
  }

  @Test
  void shouldDeadLetterARowWhosePngOutputAnEarlierRowOwns() throws Exception {
    submit("test,Bag,8,img/a.jpg\ntest,Dress,3,img/a.png\n", ImageFormat.PNG);

    assertThat(IngestRecords.keys(producer, TOPICS.images())).containsExactly("job/000000000000");
    assertThat(IngestRecords.values(producer, TOPICS.deadLetters()))
        .extracting(DeadLetter::getReason)
        .containsExactly(
            "row 1 (line 3): im_path 'img/a.png' has the same output 'img/a.png' as row 0's im_path 'img/a.jpg' "
                + "(row 0 is the first)");
  }

  @Test
  void shouldKeepBothRowsWhenSourceFormatKeepsTheirOutputsApart() throws Exception {
    submit("test,Bag,8,img/a.jpg\ntest,Dress,3,img/a.png\n", ImageFormat.SOURCE);

    assertThat(IngestRecords.keys(producer, TOPICS.images()))
        .containsExactly("job/000000000000", "job/000000000001");
    assertThat(IngestRecords.keys(producer, TOPICS.deadLetters())).isEmpty();
  }

  @Test
  void shouldCarryKeepInputColumnsToTheJobAndMakeItAnotherJob() throws Exception {
    Path csv =
        Files.writeString(
            dir.resolve("dirmap.csv"),
            "split,class,class_num,im_path,difficulty\ntest,Bag,8,a.jpg,0.5\n");
    Dirmap dirmap = new DirmapReader().read(csv);
    JobRequest plain = IngestRecords.request(csv, ImageFormat.PNG, null);
    JobRequest keep =
        new JobRequest(
            plain.dirmap(),
            plain.dataset(),
            plain.modelId(),
            plain.labelColumn(),
            plain.score(),
            plain.conditions(),
            plain.outputFormat(),
            plain.referenceJobId(),
            true);

    assertThat(plain.keepInputColumns()).as("the default").isFalse();
    assertThat(IngestPipeline.job("j", plain, dirmap, 2).getKeepInputColumns()).isFalse();
    assertThat(IngestPipeline.job("j", keep, dirmap, 2).getKeepInputColumns()).isTrue();
    assertThat(IngestPipeline.jobId(keep, csv)).isNotEqualTo(IngestPipeline.jobId(plain, csv));
  }
}
