package org.lwise.stream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lwise.stream.ingest.IngestRecords.TOPICS;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.MockProducer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.Job;

class DirmapWatcherTest {
  static final long TIMEOUT_MS = 10_000;

  @TempDir Path dir;
  Path csv;
  final AtomicLong clock = new AtomicLong(1_000_000);

  @BeforeEach
  void setUp() throws Exception {
    Files.createDirectories(dir.resolve("img"));
    image("ref.jpg");
    csv = dir.resolve("dirmap.csv");
    // Row 0 was there before the watch started: the reference job's.
    Files.writeString(csv, "split,class,class_num,im_path\ntest,Bag,8,img/ref.jpg\n");
  }

  private void image(String name) throws Exception {
    Files.writeString(dir.resolve("img").resolve(name), "bytes of " + name);
  }

  private void append(String imPath) throws Exception {
    Files.writeString(csv, "test,Bag,8," + imPath + "\n", StandardOpenOption.APPEND);
  }

  private DirmapWatcher watcher(Job previous) {
    DirmapWatcher watcher =
        new DirmapWatcher(
            IngestRecords.config(TIMEOUT_MS),
            TOPICS,
            id -> null,
            null,
            IngestRecords.request(csv, ImageFormat.PNG, "reference-job"),
            null,
            clock::get);
    watcher.startFrom(previous);
    return watcher;
  }

  private static MockProducer<byte[], byte[]> transactionalProducer() {
    MockProducer<byte[], byte[]> producer = IngestRecords.producer();
    producer.initTransactions();
    return producer;
  }

  private static Job lastJob(MockProducer<byte[], byte[]> producer) {
    List<Job> jobs = IngestRecords.values(producer, TOPICS.jobs());
    return jobs.get(jobs.size() - 1);
  }

  /** Passes two seconds apart, as the watch loop makes them. */
  private void passes(DirmapWatcher watcher, MockProducer<byte[], byte[]> producer, int count) {
    for (int i = 0; i < count; i++) {
      watcher.publishNewRows(producer, watcher.jobId());
      clock.addAndGet(2_000);
    }
  }

  @Test
  void shouldHoldARowUntilItsImageArrivesAndPublishTheRowsAfterItMeanwhile() throws Exception {
    DirmapWatcher watcher = watcher(null);
    MockProducer<byte[], byte[]> producer = transactionalProducer();
    image("early.jpg");
    append("img/late.jpg"); // row 1: its image is still being copied
    append("img/early.jpg"); // row 2

    passes(watcher, producer, 2);

    String jobId = watcher.jobId();
    assertThat(IngestRecords.keys(producer, TOPICS.images()))
        .containsExactly(jobId + "/000000000002");
    assertThat(IngestRecords.keys(producer, TOPICS.deadLetters()))
        .as("row 1 is not lost")
        .isEmpty();
    assertThat(lastJob(producer).getRowCount())
        .as("the recorded watermark stops at the waiting row")
        .isEqualTo(1);
    assertThat(lastJob(producer).getRowsAhead()).containsExactly(2L);
    assertThat(watcher.waitingRows()).isEqualTo(1);
    assertThat(watcher.imagesPublished()).isEqualTo(1);
    assertThat(watcher.newRows()).isEqualTo(1);

    image("late.jpg");
    passes(watcher, producer, 2);

    assertThat(IngestRecords.keys(producer, TOPICS.images()))
        .containsExactly(jobId + "/000000000002", jobId + "/000000000001");
    assertThat(lastJob(producer).getRowCount()).isEqualTo(3);
    assertThat(lastJob(producer).getRowsAhead()).isEmpty();
    assertThat(watcher.waitingRows()).isZero();
    assertThat(watcher.newRows()).isEqualTo(2);
  }

  @Test
  void shouldPublishAnImageOnlyOnceItsSizeStopsChanging() throws Exception {
    DirmapWatcher watcher = watcher(null);
    MockProducer<byte[], byte[]> producer = transactionalProducer();
    append("img/copying.jpg");
    Files.writeString(dir.resolve("img/copying.jpg"), "half");

    passes(watcher, producer, 1);
    Files.writeString(dir.resolve("img/copying.jpg"), " of the bytes", StandardOpenOption.APPEND);
    passes(watcher, producer, 1);
    assertThat(IngestRecords.keys(producer, TOPICS.images())).isEmpty();

    passes(watcher, producer, 1);
    assertThat(IngestRecords.values(producer, TOPICS.images()))
        .singleElement()
        .satisfies(
            image ->
                assertThat(image.getImage().remaining()).isEqualTo("half of the bytes".length()));
  }

  @Test
  void shouldDeadLetterARowWhoseImageNeverCameOnceTheTimeoutHasPassed() throws Exception {
    DirmapWatcher watcher = watcher(null);
    MockProducer<byte[], byte[]> producer = transactionalProducer();
    append("img/never.jpg");

    watcher.publishNewRows(producer, watcher.jobId());
    clock.addAndGet(TIMEOUT_MS - 1);
    watcher.publishNewRows(producer, watcher.jobId());
    assertThat(IngestRecords.keys(producer, TOPICS.deadLetters())).isEmpty();

    clock.addAndGet(1);
    watcher.publishNewRows(producer, watcher.jobId());

    assertThat(IngestRecords.values(producer, TOPICS.deadLetters()))
        .extracting(DeadLetter::getReason)
        .containsExactly(
            "row 1 (line 3): image file 'img/never.jpg' not there after waiting 10000 ms "
                + "(ingest.watch.missing.file.timeout.ms=10000)");
    assertThat(lastJob(producer).getRowCount()).isEqualTo(2);
    assertThat(watcher.waitingRows()).isZero();
    assertThat(watcher.deadLettered()).isEqualTo(1);
  }

  @Test
  void shouldNeitherSkipAWaitingRowNorRepeatARowAfterARestart() throws Exception {
    DirmapWatcher first = watcher(null);
    MockProducer<byte[], byte[]> before = transactionalProducer();
    image("early.jpg");
    append("img/late.jpg");
    append("img/early.jpg");
    passes(first, before, 2);
    first.stop();

    DirmapWatcher restarted = watcher(lastJob(before));
    MockProducer<byte[], byte[]> after = transactionalProducer();
    assertThat(restarted.published()).isEqualTo(1);
    image("late.jpg");
    passes(restarted, after, 3);

    String jobId = restarted.jobId();
    assertThat(IngestRecords.keys(after, TOPICS.images())).containsExactly(jobId + "/000000000001");
    assertThat(lastJob(after).getRowCount()).isEqualTo(3);
  }

  @Test
  void shouldDeadLetterAnAppendedRowWhoseOutputAnEarlierRowOwnsAcrossPasses() throws Exception {
    DirmapWatcher watcher = watcher(null);
    MockProducer<byte[], byte[]> producer = transactionalProducer();
    image("ref.png");
    image("new.jpg");
    append("img/ref.png"); // row 1: PNG output img/ref.png is row 0's (before the watch started)
    passes(watcher, producer, 1);
    append("img/new.jpg"); // row 2
    passes(watcher, producer, 2);
    append("img/new.jpg"); // row 3, a later pass: same im_path as row 2
    passes(watcher, producer, 2);

    String jobId = watcher.jobId();
    assertThat(IngestRecords.keys(producer, TOPICS.images()))
        .containsExactly(jobId + "/000000000002");
    assertThat(IngestRecords.values(producer, TOPICS.deadLetters()))
        .extracting(DeadLetter::getReason)
        .containsExactly(
            "row 1 (line 3): im_path 'img/ref.png' has the same output 'img/ref.png' as row 0's im_path 'img/ref.jpg' "
                + "(row 0 is the first)",
            "row 3 (line 5): duplicate im_path 'img/new.jpg' (row 2 is the first)");
    assertThat(lastJob(producer).getRowCount()).isEqualTo(4);
  }
}
