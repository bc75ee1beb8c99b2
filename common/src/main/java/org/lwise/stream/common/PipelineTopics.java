package org.lwise.stream.common;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.lwise.stream.schema.DeadLetter;
import org.lwise.stream.schema.DirmapWritten;
import org.lwise.stream.schema.EnhancedImage;
import org.lwise.stream.schema.ImageRecord;
import org.lwise.stream.schema.Job;
import org.lwise.stream.schema.Outcome;
import org.lwise.stream.schema.Score;
import org.lwise.stream.schema.ScoredImage;
import org.lwise.stream.schema.UploadResult;

/** Every topic of the pipeline with its serdes, built once per process and passed in. */
public record PipelineTopics(
    Topic<String, Job> jobs,
    Topic<String, ImageRecord> images,
    Topic<String, Score> scores,
    Topic<String, EnhancedImage> enhanced,
    Topic<String, UploadResult> uploads,
    Topic<String, DeadLetter> deadLetters,
    Topic<String, DirmapWritten> dirmaps,
    Topic<String, ScoredImage> scoredImages,
    Topic<String, Outcome> outcomes) {

  public static PipelineTopics create(ValueSerdes serdes) {
    Serde<String> key = Serdes.String();
    return new PipelineTopics(
        new Topic<>(TopicNames.JOBS, key, serdes.value(Job.class)),
        new Topic<>(TopicNames.IMAGES, key, serdes.value(ImageRecord.class)),
        new Topic<>(TopicNames.SCORES, key, serdes.value(Score.class)),
        new Topic<>(TopicNames.ENHANCED, key, serdes.value(EnhancedImage.class)),
        new Topic<>(TopicNames.UPLOADS, key, serdes.value(UploadResult.class)),
        new Topic<>(TopicNames.DEAD_LETTERS, key, serdes.value(DeadLetter.class)),
        new Topic<>(TopicNames.DIRMAPS, key, serdes.value(DirmapWritten.class)),
        new Topic<>(TopicNames.SCORED_IMAGES, key, serdes.value(ScoredImage.class)),
        new Topic<>(TopicNames.OUTCOMES, key, serdes.value(Outcome.class)));
  }
}
