package org.lwise.stream.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.PlainAvroSerdes;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.TopicNames;
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.schema.ImageRecord;
import org.lwise.stream.schema.JobContext;
import org.lwise.stream.schema.Score;

/**
 * The worker's consume → process → produce loop on Kafka's mock clients, with a stand-in for the
 * model: how micro-batches close, what a rebalance drops, what a failed transaction leaves behind
 * and where unreadable records go.
 */
class WorkerPipelineTest {
  static final TopicPartition P0 = new TopicPartition(TopicNames.IMAGES, 0);
  static final TopicPartition P1 = new TopicPartition(TopicNames.IMAGES, 1);
  static final String JOB = "job-1";

  final PipelineTopics topics = PipelineTopics.create(new PlainAvroSerdes());
  final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  final ExecutorService codec = Executors.newSingleThreadExecutor();
  final ExecutorService loop = Executors.newSingleThreadExecutor();

  /** The rows of each micro-batch the model was given, in order. */
  final List<List<Long>> batches = new CopyOnWriteArrayList<>();

  final List<Long> batchNanos = new CopyOnWriteArrayList<>();
  final Set<String> modelThreads = ConcurrentHashMap.newKeySet();

  /**
   * Per batch, completed by the test when the batch's outputs count as encoded (with holdEncoding).
   */
  final List<CompletableFuture<Void>> encodings = new CopyOnWriteArrayList<>();

  volatile boolean holdEncoding;

  /** When set, the model's stand-in waits for it inside the model call (the inference thread). */
  volatile CountDownLatch modelGate;

  MockProducer<byte[], byte[]> producer = producer();
  WorkerPipeline pipeline;
  CompletableFuture<Void> running;

  @AfterEach
  void stop() throws Exception {
    if (pipeline != null) {
      pipeline.stop();
      try {
        running.get(10, TimeUnit.SECONDS);
      } catch (ExecutionException expectedInSomeTests) {
        // the failure tests assert on it themselves
      }
    }
    loop.shutdownNow();
    codec.shutdownNow();
  }

  @Test
  void shouldCloseABatchAsSoonAsItIsFull() throws Exception {
    start(2, Duration.ofHours(1).toMillis());
    onNextPoll(
        () -> {
          assign(P0);
          for (long row = 0; row < 3; row++) {
            consumer.addRecord(image(P0, row, row));
          }
        });
    await(() -> producer.commitCount() == 1);
    onNextPoll(() -> consumer.addRecord(image(P0, 3, 3)));
    await(() -> producer.commitCount() == 2);

    // Row 2 waited for row 3 (the wait is an hour): only a full batch closes.
    assertThat(batches).containsExactly(List.of(0L, 1L), List.of(2L, 3L));
    assertThat(committedOffsets()).containsExactly(Map.of(P0, 2L), Map.of(P0, 4L));
    assertThat(sentKeys(TopicNames.SCORES))
        .containsExactly(
            RecordKeys.row(JOB, 0),
            RecordKeys.row(JOB, 1),
            RecordKeys.row(JOB, 2),
            RecordKeys.row(JOB, 3));
  }

  @Test
  void shouldCloseAPartialBatchOnceItsOldestImageHasWaited() throws Exception {
    long waitMs = 300;
    start(32, waitMs);
    long[] polledAt = new long[1];
    onNextPoll(
        () -> {
          assign(P0);
          consumer.addRecord(image(P0, 0, 0));
          polledAt[0] = System.nanoTime();
        });
    await(() -> producer.commitCount() == 1);

    assertThat(batches).containsExactly(List.of(0L));
    assertThat(Duration.ofNanos(batchNanos.get(0) - polledAt[0]))
        .isGreaterThanOrEqualTo(Duration.ofMillis(waitMs));
    assertThat(committedOffsets()).containsExactly(Map.of(P0, 1L));
  }

  @Test
  void shouldDropPolledRecordsOfPartitionsItLost() throws Exception {
    start(2, Duration.ofHours(1).toMillis());
    onNextPoll(
        () -> {
          assign(P0, P1);
          consumer.addRecord(image(P0, 0, 0));
        });
    onNextPoll(
        () -> {
          consumer.rebalance(
              List.of(P1)); // P0 goes to another worker, which will process its row 0
          consumer.addRecord(image(P1, 0, 10));
        });
    onNextPoll(() -> consumer.addRecord(image(P1, 1, 11)));
    await(() -> producer.commitCount() == 1);

    assertThat(batches).containsExactly(List.of(10L, 11L));
    assertThat(committedOffsets()).containsExactly(Map.of(P1, 2L));
    assertThat(pipeline.assignedPartitions()).isEqualTo(1);
  }

  @Test
  void shouldCommitNoOffsetsAndSendNothingWhenTheTransactionFails() throws Exception {
    producer.commitTransactionException =
        new ProducerFencedException("another worker took over this transactional id");
    start(1, Duration.ofHours(1).toMillis());
    onNextPoll(
        () -> {
          assign(P0);
          consumer.addRecord(image(P0, 0, 0));
        });

    assertThat(failure()).isInstanceOf(ProducerFencedException.class);
    assertThat(batches).hasSize(1);
    assertThat(producer.transactionAborted()).isTrue();
    assertThat(producer.consumerGroupOffsetsHistory()).isEmpty();
    assertThat(producer.history()).as("an aborted transaction's sends are never read").isEmpty();
    assertThat(pipeline.imagesDone()).isZero();
  }

  @Test
  void shouldSendAnAbortedBatchAgainWholeWhenTheBrokerWasBrieflyAway() throws Exception {
    int[] commits = {0};
    producer =
        new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()) {
          @Override
          public void commitTransaction() {
            if (commits[0]++ == 0) {
              throw new NotEnoughReplicasException("a broker is restarting");
            }
            super.commitTransaction();
          }
        };
    start(2, Duration.ofHours(1).toMillis());
    onNextPoll(
        () -> {
          assign(P0);
          consumer.addRecord(image(P0, 0, 0));
          consumer.addRecord(image(P0, 1, 1));
        });
    await(() -> producer.commitCount() == 1);

    assertThat(commits[0]).isEqualTo(2);
    assertThat(batches).as("the model's work is not repeated, only the transaction").hasSize(1);
    assertThat(committedOffsets()).containsExactly(Map.of(P0, 2L));
    assertThat(sentKeys(TopicNames.SCORES))
        .containsExactly(RecordKeys.row(JOB, 0), RecordKeys.row(JOB, 1));
  }

  @Test
  void shouldDeadLetterUnreadableRecordsWithTheJobAndRowTheirKeysName() throws Exception {
    start(3, Duration.ofHours(1).toMillis());
    onNextPoll(
        () -> {
          assign(P0);
          consumer.addRecord(image(P0, 0, 0));
          consumer.addRecord(
              raw(P0, 1, RecordKeys.row(JOB, 1), "not avro".getBytes(StandardCharsets.UTF_8)));
          consumer.addRecord(raw(P0, 2, RecordKeys.row(JOB, 2), null));
        });
    await(() -> producer.commitCount() == 1);

    assertThat(batches).containsExactly(List.of(0L));
    List<DeadLetter> dead =
        sent(TopicNames.DEAD_LETTERS).stream()
            .map(
                r ->
                    topics
                        .deadLetters()
                        .valueSerde()
                        .deserializer()
                        .deserialize(r.topic(), r.value()))
            .toList();
    assertThat(dead)
        .extracting(DeadLetter::getJobId, DeadLetter::getRowIndex, DeadLetter::getRecordKey)
        .containsExactly(
            tuple(JOB, 1L, RecordKeys.row(JOB, 1)), tuple(JOB, 2L, RecordKeys.row(JOB, 2)));
    assertThat(dead.get(0).getStage()).isEqualTo("gpu-worker");
    assertThat(dead.get(0).getReason()).startsWith("unreadable image record at lwise.images-0@1");
    assertThat(dead.get(1).getReason()).contains("empty record value");
    assertThat(committedOffsets())
        .as("dead-lettered records are consumed too")
        .containsExactly(Map.of(P0, 3L));
  }

  @Test
  void shouldRunTheNextBatchThroughTheModelWhileThePreviousIsStillEncodedAndCommitInOrder()
      throws Exception {
    holdEncoding = true;
    start(2, Duration.ofHours(1).toMillis(), 3);
    onNextPoll(
        () -> {
          assign(P0, P1);
          consumer.addRecord(image(P0, 0, 0));
          consumer.addRecord(image(P1, 0, 10));
          consumer.addRecord(image(P0, 1, 1));
          consumer.addRecord(image(P1, 1, 11));
        });
    await(() -> batches.size() == 2);

    assertThat(producer.commitCount())
        .as("batch 0 is still being encoded while the model ran batch 1")
        .isZero();
    encodings.get(1).complete(null);
    Thread.sleep(100);
    assertThat(producer.commitCount())
        .as("batch 1 waits for batch 0: commits keep the order batches closed in")
        .isZero();
    encodings.get(0).complete(null);
    await(() -> producer.commitCount() == 2);

    // The mock consumer returns a poll's records partition by partition.
    assertThat(batches).containsExactly(List.of(0L, 1L), List.of(10L, 11L));
    assertThat(committedOffsets()).containsExactly(Map.of(P0, 2L), Map.of(P1, 2L));
    assertThat(sentKeys(TopicNames.SCORES))
        .containsExactly(
            RecordKeys.row(JOB, 0),
            RecordKeys.row(JOB, 1),
            RecordKeys.row(JOB, 10),
            RecordKeys.row(JOB, 11));
  }

  @Test
  void shouldStopTakingBatchesWhileAsManyAsTheDepthAreInFlight() throws Exception {
    holdEncoding = true;
    start(1, Duration.ofHours(1).toMillis(), 2);
    onNextPoll(
        () -> {
          assign(P0);
          for (long row = 0; row < 4; row++) {
            consumer.addRecord(image(P0, row, row));
          }
        });
    await(() -> batches.size() == 2);
    Thread.sleep(200);
    assertThat(batches).as("two batches in flight, none committed: the third waits").hasSize(2);

    encodings.get(0).complete(null);
    await(() -> batches.size() == 3);
    encodings.get(1).complete(null);
    encodings.get(2).complete(null);
    await(() -> batches.size() == 4);
    encodings.get(3).complete(null);
    await(() -> producer.commitCount() == 4);
    assertThat(committedOffsets())
        .containsExactly(Map.of(P0, 1L), Map.of(P0, 2L), Map.of(P0, 3L), Map.of(P0, 4L));
  }

  @Test
  void shouldNotCommitALaterBatchWhenAnEarlierBatchsTransactionFails() throws Exception {
    producer.commitTransactionException =
        new ProducerFencedException("another worker took over this transactional id");
    holdEncoding = true;
    start(1, Duration.ofHours(1).toMillis(), 3);
    onNextPoll(
        () -> {
          assign(P0);
          consumer.addRecord(image(P0, 0, 0));
          consumer.addRecord(image(P0, 1, 1));
        });
    await(() -> batches.size() == 2);
    encodings.get(1).complete(null); // batch 1 is ready first; it must still wait for batch 0
    encodings.get(0).complete(null);

    assertThat(failure()).isInstanceOf(ProducerFencedException.class);
    assertThat(producer.consumerGroupOffsetsHistory())
        .as("neither batch 0's nor batch 1's offsets")
        .isEmpty();
    assertThat(producer.history()).isEmpty();
    assertThat(pipeline.imagesDone()).isZero();
  }

  @Test
  void shouldFinishTheBatchInTheModelButLeaveQueuedBatchesUncommittedWhenStopped()
      throws Exception {
    modelGate = new CountDownLatch(1);
    start(1, Duration.ofHours(1).toMillis(), 3);
    onNextPoll(
        () -> {
          assign(P0);
          for (long row = 0; row < 3; row++) {
            consumer.addRecord(image(P0, row, row));
          }
        });
    await(() -> batches.size() == 1);
    Thread.sleep(200); // the loop closes batches 1 and 2 behind the one in the model
    CompletableFuture.runAsync(
        () -> {
          sleep(300);
          modelGate.countDown();
        });
    pipeline.stop();
    running.get(10, TimeUnit.SECONDS);

    assertThat(batches).as("the model never started the queued batches").hasSize(1);
    assertThat(committedOffsets())
        .as("batch 0 committed; rows 1 and 2 stay for the partition's next owner")
        .containsExactly(Map.of(P0, 1L));
  }

  @Test
  void shouldCommitTheBatchesInFlightBeforeGivingUpPartitions() throws Exception {
    holdEncoding = true;
    start(1, Duration.ofHours(1).toMillis(), 3);
    onNextPoll(
        () -> {
          assign(P0, P1);
          consumer.addRecord(image(P0, 0, 0));
        });
    await(() -> batches.size() == 1);
    CompletableFuture.runAsync(
        () -> {
          sleep(200);
          encodings.get(0).complete(null);
        });
    onNextPoll(
        () -> {
          consumer.rebalance(List.of(P1)); // blocks in the revocation until batch 0 is committed
          assertThat(producer.commitCount()).as("committed while P0 was still ours").isEqualTo(1);
          consumer.addRecord(image(P1, 0, 10));
        });
    await(() -> batches.size() == 2);
    encodings.get(1).complete(null);
    await(() -> producer.commitCount() == 2);

    assertThat(committedOffsets()).containsExactly(Map.of(P0, 1L), Map.of(P1, 1L));
  }

  @Test
  void shouldRunTheModelBetweenPollsWithoutPipelining() throws Exception {
    start(2, Duration.ofHours(1).toMillis(), 0);
    onNextPoll(
        () -> {
          assign(P0);
          for (long row = 0; row < 4; row++) {
            consumer.addRecord(image(P0, row, row));
          }
        });
    await(() -> producer.commitCount() == 2);

    assertThat(batches).containsExactly(List.of(0L, 1L), List.of(2L, 3L));
    assertThat(modelThreads)
        .as("the loop's own thread")
        .hasSize(1)
        .doesNotContain("lwise-inference");
    assertThat(committedOffsets()).containsExactly(Map.of(P0, 2L), Map.of(P0, 4L));
  }

  private void start(int maxBatchSize, long maxBatchWaitMs) {
    start(maxBatchSize, maxBatchWaitMs, 3);
  }

  private void start(int maxBatchSize, long maxBatchWaitMs, int depth) {
    WorkerConfig config =
        WorkerConfig.from(
            Map.of(
                "bootstrap.servers",
                "unused:9092",
                "registry.url",
                "http://unused",
                WorkerConfig.MODEL_CARD,
                "unused",
                WorkerConfig.MAX_BATCH_SIZE,
                maxBatchSize,
                WorkerConfig.MAX_BATCH_WAIT_MS,
                maxBatchWaitMs,
                WorkerConfig.PIPELINE_DEPTH,
                depth));
    ImagePreparation preparation =
        new ImagePreparation(topics.images(), new ImageSource(() -> null), 8, new ImageDecoder());
    pipeline =
        new WorkerPipeline(
            config,
            topics,
            consumer,
            producer,
            this::scoreEach,
            preparation,
            codec,
            new InfrastructureRetry(Duration.ofSeconds(5)));
    running = CompletableFuture.runAsync(pipeline, loop);
  }

  /**
   * The model's stand-in: a score for each usable image. With {@link #holdEncoding} its outputs are
   * "encoded" only when the test completes the batch's entry in {@link #encodings}.
   */
  private CompletableFuture<List<ImageEnhancer.Outcome>> scoreEach(List<PreparedImage> items) {
    modelThreads.add(Thread.currentThread().getName());
    CountDownLatch gate = modelGate;
    // Registered before the batch is: a test that saw the batch finds its gate.
    CompletableFuture<Void> encoded = new CompletableFuture<>();
    if (holdEncoding) {
      encodings.add(encoded);
    }
    batchNanos.add(System.nanoTime());
    batches.add(items.stream().map(i -> i.record().getRowIndex()).toList());
    if (gate != null) {
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List<ImageEnhancer.Outcome> outcomes = new ArrayList<>();
    for (PreparedImage item : items) {
      ImageRecord r = item.record();
      outcomes.add(
          new ImageEnhancer.Outcome(
              r,
              Score.newBuilder()
                  .setJobId(r.getJobId())
                  .setRowIndex(r.getRowIndex())
                  .setValues(r.getValues())
                  .setImPath(r.getImPath())
                  .setLabel(r.getLabel())
                  .setModelId("stand-in")
                  .setRobustGtLogit(1.0)
                  .setRobustEntropy(0.1)
                  .setRobustCrossEntropy(0.2)
                  .setPredictedClass(r.getLabel())
                  .build(),
              List.of(),
              null));
    }
    if (!holdEncoding) {
      return CompletableFuture.completedFuture(outcomes);
    }
    return encoded.thenApply(done -> outcomes);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs on the loop's thread inside one of its next polls, as a real consumer's callbacks do. */
  private void onNextPoll(Runnable task) {
    consumer.schedulePollTask(task);
  }

  private void assign(TopicPartition... partitions) {
    Map<TopicPartition, Long> beginning = new HashMap<>();
    for (TopicPartition p : partitions) {
      beginning.put(p, 0L);
    }
    consumer.updateBeginningOffsets(beginning);
    consumer.rebalance(List.of(partitions));
  }

  private void await(BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (running.isDone()) {
        running.get(); // the loop stopped: show why
        throw new AssertionError("the loop stopped");
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out; batches so far: " + batches);
      }
      Thread.sleep(5);
    }
  }

  private Throwable failure() throws Exception {
    try {
      running.get(10, TimeUnit.SECONDS);
      throw new AssertionError("the loop did not stop");
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  private List<Map<TopicPartition, Long>> committedOffsets() {
    List<Map<TopicPartition, Long>> offsets = new ArrayList<>();
    for (Map<String, Map<TopicPartition, OffsetAndMetadata>> commit :
        producer.consumerGroupOffsetsHistory()) {
      Map<TopicPartition, Long> positions = new HashMap<>();
      commit.values().forEach(group -> group.forEach((p, o) -> positions.put(p, o.offset())));
      offsets.add(positions);
    }
    return offsets;
  }

  private List<ProducerRecord<byte[], byte[]>> sent(String topic) {
    return producer.history().stream().filter(r -> r.topic().equals(topic)).toList();
  }

  private List<String> sentKeys(String topic) {
    return sent(topic).stream().map(r -> new String(r.key(), StandardCharsets.UTF_8)).toList();
  }

  private static MockProducer<byte[], byte[]> producer() {
    return new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private ConsumerRecord<byte[], byte[]> image(TopicPartition partition, long offset, long row) {
    JobContext job =
        JobContext.newBuilder()
            .setDataset("d")
            .setModelId("stand-in")
            .setConditions(List.of())
            .setClassesPresent(List.of(1))
            .setOutputFormat(ImageFormat.PNG)
            .build();
    ImageRecord record =
        ImageRecord.newBuilder()
            .setJobId(JOB)
            .setRowIndex(row)
            .setValues(List.of())
            .setLabel(1)
            .setImPath("images/" + row + ".png")
            .setContentType("image/png")
            .setSha256("x")
            .setImage(ByteBuffer.wrap(PNG))
            .setContext(job)
            .build();
    return raw(
        partition,
        offset,
        RecordKeys.row(JOB, row),
        topics.images().valueSerde().serializer().serialize(TopicNames.IMAGES, record));
  }

  private static ConsumerRecord<byte[], byte[]> raw(
      TopicPartition partition, long offset, String key, byte[] value) {
    return new ConsumerRecord<>(
        partition.topic(),
        partition.partition(),
        offset,
        key.getBytes(StandardCharsets.UTF_8),
        value);
  }

  private static final byte[] PNG = png();

  private static byte[] png() {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
