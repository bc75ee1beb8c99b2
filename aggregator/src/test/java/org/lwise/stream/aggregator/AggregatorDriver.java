package org.lwise.stream.aggregator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.lwise.stream.common.PipelineTopics;
import org.lwise.stream.common.RecordKeys;
import org.lwise.stream.common.S3Layout;
import org.lwise.stream.common.Topic;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.JobEvent;
import org.lwise.stream.schema.JobProgress;
import org.lwise.stream.schema.RowState;
import org.lwise.stream.schema.Score;
import org.lwise.stream.schema.ScoredImage;
import org.lwise.stream.schema.UploadResult;

/**
 * The aggregator's topology on Kafka's TopologyTestDriver with the production settings (exception
 * handlers and dead-letter topic included), its input and output topics, for the topology tests.
 */
final class AggregatorDriver implements AutoCloseable {
  /** The bucket layout of the files-only sink: AWS-shaped URLs with prefix {@code lab}. */
  static final S3Layout LAYOUT =
      new S3Layout(S3Layout.Mode.BUCKET_PER_CONDITION, "lab", "", S3Layout.AWS_URL_TEMPLATE);

  final PipelineTopics topics;
  final TopologyTestDriver driver;
  final TestInputTopic<String, Job> jobs;
  final TestInputTopic<String, Score> scores;
  final TestInputTopic<String, UploadResult> uploads;
  final TestInputTopic<String, DeadLetter> deadLetters;
  final TestOutputTopic<String, DirmapWritten> dirmaps;
  final TestOutputTopic<String, ScoredImage> scoredImages;

  /** Dirmaps written as files under {@code out} only. */
  AggregatorDriver(Path out, Duration watchInterval) {
    this(out, new DirmapSink(out, null, LAYOUT, true, null), watchInterval);
  }

  AggregatorDriver(Path out, DirmapSink sink, Duration watchInterval) {
    TaggedAvroSerdes serdes = new TaggedAvroSerdes();
    topics = PipelineTopics.create(serdes);
    var topology =
        AggregatorTopology.build(
            topics,
            new AggregatorTopology.InternalSerdes(
                serdes.value(JobEvent.class),
                serdes.value(RowState.class),
                serdes.value(JobProgress.class)),
            sink,
            watchInterval);
    Properties props =
        AggregatorConfig.from(
                Map.of(
                    "bootstrap.servers",
                    "unused:9092",
                    "registry.url",
                    "http://unused",
                    AggregatorConfig.OUTPUT_DIR,
                    out.toString()))
            .streamsProperties();
    driver = new TopologyTestDriver(topology, props);
    jobs = input(topics.jobs());
    scores = input(topics.scores());
    uploads = input(topics.uploads());
    deadLetters = input(topics.deadLetters());
    dirmaps = output(topics.dirmaps());
    scoredImages = output(topics.scoredImages());
  }

  /**
   * The uploader's report of one output of dataset {@code ham}: row {@code row} of {@code jobId} in
   * {@code condition}, stored at {@code path} in the condition's bucket under {@code layout}.
   */
  void upload(String jobId, long row, String condition, String path, S3Layout layout) {
    String bucket = layout.bucket("ham", condition);
    uploads.pipeInput(
        RecordKeys.output(jobId, condition, row),
        UploadResult.newBuilder()
            .setJobId(jobId)
            .setRowIndex(row)
            .setConditionId(condition)
            .setBucket(bucket)
            .setKey(path)
            .setImPath(path)
            .setUrl(layout.url(bucket, path))
            .setSha256("x")
            .build());
  }

  private <V> TestInputTopic<String, V> input(Topic<String, V> topic) {
    return driver.createInputTopic(
        topic.name(), Serdes.String().serializer(), topic.valueSerde().serializer());
  }

  private <V> TestOutputTopic<String, V> output(Topic<String, V> topic) {
    return driver.createOutputTopic(
        topic.name(), Serdes.String().deserializer(), topic.valueSerde().deserializer());
  }

  @Override
  public void close() {
    driver.close();
  }
}
