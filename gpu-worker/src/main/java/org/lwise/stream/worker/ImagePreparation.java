package org.lwise.stream.worker;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.lwise.stream.common.JobDirectory;
import org.lwise.stream.common.Topic;
import org.lwise.stream.schema.ImageRecord;
import org.lwise.stream.schema.Job;

/**
 * Turns a polled record into model input (runs on the codec pool): deserialize, fetch the bytes,
 * decode to RGB, resize and crop. Bad images become a failed {@link PreparedImage} with the reason.
 */
public final class ImagePreparation {
  private final Topic<String, ImageRecord> images;
  private final JobDirectory jobs;
  private final ImageSource source;
  private final ImageDecoder decoder = new ImageDecoder();
  private final Preprocessor preprocessor;

  public ImagePreparation(Topic<String, ImageRecord> images, JobDirectory jobs, ImageSource source, int inputSize) {
    this.images = images;
    this.jobs = jobs;
    this.source = source;
    this.preprocessor = new Preprocessor(inputSize);
  }

  public PreparedImage prepare(ConsumerRecord<byte[], byte[]> polled) {
    ImageRecord record = images.valueSerde().deserializer().deserialize(images.name(), polled.value());
    Job job = jobs.get(record.getJobId());
    if (job == null) {
      // Ingest writes a job with its images in one transaction and the directory has waited for its
      // commit marker, so this record did not come from ingest.
      throw new IllegalStateException("job " + record.getJobId() + " of image record " + record.getRowIndex()
          + " is not on the jobs topic");
    }
    return prepare(record, job);
  }

  public PreparedImage prepare(ImageRecord record, Job job) {
    try {
      RgbImage decoded = decoder.decode(source.bytes(record));
      RgbImage crop = preprocessor.resizeAndCrop(decoded);
      return new PreparedImage(record, job, crop, Preprocessor.toChw(crop), null);
    } catch (ImageDecoder.UndecodableImageException e) {
      return PreparedImage.failed(record, job, "broken image: " + e.getMessage());
    } catch (java.util.concurrent.CompletionException e) {
      // The SDK has already retried; a staged input that cannot be fetched is this row's failure.
      return PreparedImage.failed(record, job, "cannot fetch staged image " + record.getImageRef() + ": " + e.getCause());
    }
  }
}
