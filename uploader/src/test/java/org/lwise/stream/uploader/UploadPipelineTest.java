package org.lwise.stream.uploader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lwise.stream.common.InfrastructureRetry;
import org.lwise.stream.common.ObjectStore;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.PlainAvroSerdes;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.TopicNames;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.EnhancedImage;
import org.lwise.stream.schema.UploadResult;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.CreateBucketResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The uploader's consume → upload → produce loop on Kafka's mock clients and a scripted S3 store:
 * what S3 refuses for the record's sake becomes a dead letter; what will pass is retried and no
 * output is lost; what does not pass in time stops the stage with nothing committed.
 */
class UploadPipelineTest {
  static final TopicPartition P0 = new TopicPartition(TopicNames.ENHANCED, 0);
  static final String JOB = "job-1";

  final PipelineTopics topics = PipelineTopics.create(new PlainAvroSerdes());
  final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  final ScriptedS3 s3 = new ScriptedS3();
  final ExecutorService loop = Executors.newSingleThreadExecutor();
  UploadPipeline pipeline;
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
  }

  @Test
  void shouldCommitEachUploadsResultWithTheConsumedOffsets() throws Exception {
    start(Duration.ofSeconds(5));
    poll(image(0, 0), image(1, 1));
    awaitCommits(1);

    assertThat(uploads())
        .extracting(UploadResult::getRowIndex, UploadResult::getUrl)
        .containsExactly(
            tuple(0L, "https://lwise-ham-natural.s3.amazonaws.com/images/0.png"),
            tuple(1L, "https://lwise-ham-natural.s3.amazonaws.com/images/1.png"));
    assertThat(deadLetters()).isEmpty();
    assertThat(committedOffsets()).containsExactly(Map.of(P0, 2L));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"InvalidBucketName", "KeyTooLongError", "InvalidArgument", "InvalidObjectName"})
  void shouldDeadLetterWhatS3RefusesBecauseOfTheRecordsBucketOrKey(String errorCode)
      throws Exception {
    s3.failNextPuts(s3Error(400, errorCode));
    start(Duration.ofSeconds(5));
    poll(image(0, 0), image(1, 1));
    awaitCommits(1);

    assertThat(deadLetters())
        .singleElement()
        .satisfies(
            dead -> {
              assertThat(dead.getStage()).isEqualTo("uploader");
              assertThat(dead.getJobId()).isEqualTo(JOB);
              assertThat(dead.getRowIndex()).isEqualTo(0L);
              assertThat(dead.getRecordKey()).isEqualTo(RecordKeys.output(JOB, "natural", 0));
              assertThat(dead.getReason()).startsWith("cannot upload images/0.png (natural)");
            });
    assertThat(uploads()).extracting(UploadResult::getRowIndex).containsExactly(1L);
    assertThat(s3.puts.get()).as("refused for good: not tried again").isEqualTo(2);
    assertThat(committedOffsets()).containsExactly(Map.of(P0, 2L));
  }

  static Stream<Arguments> passingFailures() {
    return Stream.of(
        Arguments.of("500 InternalError", s3Error(500, "InternalError")),
        Arguments.of("503 SlowDown", s3Error(503, "SlowDown")),
        Arguments.of("429 TooManyRequests", s3Error(429, "TooManyRequests")),
        Arguments.of("call timeout", ApiCallTimeoutException.create(1_000)),
        Arguments.of("attempt timeout", ApiCallAttemptTimeoutException.create(1_000)),
        Arguments.of(
            "connection refused",
            SdkClientException.create(
                "Unable to execute HTTP request", new ConnectException("Connection refused"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("passingFailures")
  void shouldRetryWhatWillPassAndLoseNoOutput(String name, Throwable failure) throws Exception {
    s3.failNextPuts(failure, failure);
    start(Duration.ofSeconds(10));
    poll(image(0, 0));
    awaitCommits(1);

    assertThat(s3.puts.get()).isEqualTo(3);
    assertThat(uploads()).extracting(UploadResult::getRowIndex).containsExactly(0L);
    assertThat(deadLetters()).isEmpty();
    assertThat(committedOffsets()).containsExactly(Map.of(P0, 1L));
  }

  @Test
  void shouldStopWithNothingCommittedWhenS3StaysAwayLongerThanTheRetryTimeout() throws Exception {
    s3.failAllPuts(s3Error(503, "ServiceUnavailable"));
    start(Duration.ofSeconds(1));
    poll(image(0, 0));

    assertThat(failure())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("S3 unreachable for 1 s");
    assertThat(s3.puts.get()).isGreaterThan(1);
    assertThat(producer.consumerGroupOffsetsHistory())
        .as("a restart resumes at this record")
        .isEmpty();
    assertThat(producer.history()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"403 AccessDenied", "400 RequestTimeout", "400 ExpiredToken"})
  void shouldStopNotDeadLetterWhenS3RefusesForAReasonNoRowCanFix(String refusal) throws Exception {
    String[] parts = refusal.split(" ");
    s3.failAllPuts(s3Error(Integer.parseInt(parts[0]), parts[1]));
    start(Duration.ofSeconds(5));
    poll(image(0, 0));

    assertThat(failure())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("S3 refused the upload");
    assertThat(producer.consumerGroupOffsetsHistory()).isEmpty();
    assertThat(producer.history()).isEmpty();
  }

  @Test
  void shouldDeadLetterAnUnreadableRecordWithTheJobAndRowItsKeyNames() throws Exception {
    start(Duration.ofSeconds(5));
    poll(
        new ConsumerRecord<>(
            P0.topic(),
            P0.partition(),
            0,
            RecordKeys.output(JOB, "natural", 7).getBytes(StandardCharsets.UTF_8),
            "not avro".getBytes(StandardCharsets.UTF_8)),
        image(1, 1));
    awaitCommits(1);

    assertThat(deadLetters())
        .singleElement()
        .satisfies(
            dead -> {
              assertThat(dead.getJobId()).isEqualTo(JOB);
              assertThat(dead.getRowIndex()).isEqualTo(7L);
              assertThat(dead.getReason())
                  .startsWith("unreadable output image record at lwise.enhanced-0@0");
            });
    assertThat(uploads()).extracting(UploadResult::getRowIndex).containsExactly(1L);
    assertThat(committedOffsets()).containsExactly(Map.of(P0, 2L));
  }

  @Test
  void shouldTakeOnlyRefusalsNamingTheBucketOrKeyForBadInput() {
    assertThat(UploadPipeline.isBadInput(s3Error(400, "InvalidBucketName"))).isTrue();
    assertThat(UploadPipeline.isBadInput(s3Error(400, "KeyTooLongError"))).isTrue();
    assertThat(
            UploadPipeline.isBadInput(new IllegalArgumentException("bucket name longer than 63")))
        .isTrue();
    assertThat(UploadPipeline.isBadInput(s3Error(400, "RequestTimeout"))).isFalse();
    assertThat(UploadPipeline.isBadInput(s3Error(400, "ExpiredToken"))).isFalse();
    assertThat(UploadPipeline.isBadInput(s3Error(403, "AccessDenied"))).isFalse();
    assertThat(UploadPipeline.isBadInput(s3Error(503, "InvalidBucketName")))
        .as("a 5xx is never the record's")
        .isFalse();
    assertThat(UploadPipeline.isBadInput(S3Exception.builder().statusCode(400).build())).isFalse();
  }

  private void start(Duration retryTimeout) {
    UploaderConfig config =
        UploaderConfig.from(
            Map.of("bootstrap.servers", "unused:9092", "registry.url", "http://unused"));
    pipeline =
        new UploadPipeline(
            config,
            topics,
            consumer,
            producer,
            new ObjectStore(s3, false),
            new InfrastructureRetry(retryTimeout));
    running = CompletableFuture.runAsync(pipeline, loop);
  }

  /** Hands the records to the loop in its next poll, on its own thread. */
  @SafeVarargs
  private void poll(ConsumerRecord<byte[], byte[]>... records) {
    consumer.schedulePollTask(
        () -> {
          consumer.updateBeginningOffsets(Map.of(P0, 0L));
          consumer.rebalance(List.of(P0));
          for (ConsumerRecord<byte[], byte[]> record : records) {
            consumer.addRecord(record);
          }
        });
  }

  private void awaitCommits(int commits) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (producer.commitCount() < commits) {
      if (running.isDone()) {
        running.get();
        throw new AssertionError("the loop stopped");
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no commit within 10 s");
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
    return producer.consumerGroupOffsetsHistory().stream()
        .map(
            commit -> {
              Map<TopicPartition, Long> positions = new HashMap<>();
              commit
                  .values()
                  .forEach(group -> group.forEach((p, o) -> positions.put(p, o.offset())));
              return positions;
            })
        .toList();
  }

  private List<UploadResult> uploads() {
    return sent(TopicNames.UPLOADS)
        .map(r -> topics.uploads().valueSerde().deserializer().deserialize(r.topic(), r.value()))
        .toList();
  }

  private List<DeadLetter> deadLetters() {
    return sent(TopicNames.DEAD_LETTERS)
        .map(
            r -> topics.deadLetters().valueSerde().deserializer().deserialize(r.topic(), r.value()))
        .toList();
  }

  private Stream<ProducerRecord<byte[], byte[]>> sent(String topic) {
    return producer.history().stream().filter(r -> r.topic().equals(topic));
  }

  private ConsumerRecord<byte[], byte[]> image(long offset, long row) {
    byte[] png = ("png of row " + row).getBytes(StandardCharsets.UTF_8);
    EnhancedImage image =
        EnhancedImage.newBuilder()
            .setJobId(JOB)
            .setRowIndex(row)
            .setConditionId("natural")
            .setImPath("images/" + row + ".png")
            .setContentType("image/png")
            .setImage(ByteBuffer.wrap(png))
            .setSha256("sha-" + row)
            .setDataset("ham")
            .build();
    return new ConsumerRecord<>(
        P0.topic(),
        P0.partition(),
        offset,
        RecordKeys.output(JOB, "natural", row).getBytes(StandardCharsets.UTF_8),
        topics.enhanced().valueSerde().serializer().serialize(P0.topic(), image));
  }

  private static S3Exception s3Error(int status, String code) {
    return (S3Exception)
        S3Exception.builder()
            .statusCode(status)
            .message(code)
            .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code).build())
            .build();
  }

  /**
   * An S3 store whose object writes fail as scripted, first come first served; everything else
   * succeeds.
   */
  static final class ScriptedS3 implements S3AsyncClient {
    final AtomicInteger puts = new AtomicInteger();
    private final Deque<Throwable> putFailures = new ArrayDeque<>();
    private volatile Throwable alwaysFail;

    synchronized void failNextPuts(Throwable... failures) {
      putFailures.addAll(List.of(failures));
    }

    void failAllPuts(Throwable failure) {
      alwaysFail = failure;
    }

    @Override
    public CompletableFuture<CreateBucketResponse> createBucket(CreateBucketRequest request) {
      return CompletableFuture.completedFuture(CreateBucketResponse.builder().build());
    }

    @Override
    public CompletableFuture<HeadObjectResponse> headObject(HeadObjectRequest request) {
      return CompletableFuture.failedFuture(s3Error(404, "NotFound"));
    }

    @Override
    public CompletableFuture<PutObjectResponse> putObject(
        PutObjectRequest request, AsyncRequestBody body) {
      puts.incrementAndGet();
      Throwable failure;
      synchronized (this) {
        failure = alwaysFail != null ? alwaysFail : putFailures.poll();
      }
      return failure == null
          ? CompletableFuture.completedFuture(PutObjectResponse.builder().build())
          : CompletableFuture.failedFuture(failure);
    }

    @Override
    public String serviceName() {
      return "s3";
    }

    @Override
    public void close() {}
  }
}
