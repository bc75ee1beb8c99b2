package org.lwise.stream.worker;

import java.util.concurrent.CompletionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.lwise.stream.common.Topic;
import org.lwise.stream.common.TransientFailures;
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.method.Preprocessor;
import org.lwise.stream.method.RgbImage;
import org.lwise.stream.schema.ImageRecord;

/**
 * Turns a polled record into model input (runs on the codec pool): deserialize, fetch the bytes,
 * decode to RGB, resize and crop. Bad images become a failed {@link PreparedImage} with the reason;
 * a record that can never be read throws {@link UnreadableRecordException}; an unreachable registry
 * or S3 store throws the transient error as it is, for the caller to retry.
 */
public final class ImagePreparation {
  private final Topic<String, ImageRecord> images;
  private final ImageSource source;
  private final ImageDecoder decoder;
  private final Preprocessor preprocessor;

  public ImagePreparation(Topic<String, ImageRecord> images, ImageSource source, int inputSize) {
    this(images, source, inputSize, new ImageDecoder());
  }

  public ImagePreparation(
      Topic<String, ImageRecord> images, ImageSource source, int inputSize, ImageDecoder decoder) {
    this.images = images;
    this.source = source;
    this.decoder = decoder;
    this.preprocessor = new Preprocessor(inputSize);
  }

  public PreparedImage prepare(ConsumerRecord<byte[], byte[]> polled) {
    long cpu = WorkerProfile.threadCpuNanos();
    PreparedImage prepared = deserializeAndPrepare(polled);
    WorkerProfile.process().decoded(WorkerProfile.threadCpuNanos() - cpu);
    return prepared;
  }

  private PreparedImage deserializeAndPrepare(ConsumerRecord<byte[], byte[]> polled) {
    ImageRecord record;
    try {
      record = images.valueSerde().deserializer().deserialize(images.name(), polled.value());
    } catch (RuntimeException e) {
      if (TransientFailures.isTransient(e)) {
        throw e;
      }
      throw new UnreadableRecordException(e);
    }
    if (record == null || record.getContext() == null) {
      throw new UnreadableRecordException(new IllegalArgumentException("empty record value"));
    }
    return prepare(record);
  }

  public PreparedImage prepare(ImageRecord record) {
    try {
      RgbImage decoded = decoder.decode(source.bytes(record));
      RgbImage crop = preprocessor.resizeAndCrop(decoded);
      return new PreparedImage(record, crop, Preprocessor.toChw(crop), null);
    } catch (ImageDecoder.UndecodableImageException e) {
      return PreparedImage.failed(record, "broken image: " + e.getMessage());
    } catch (OutOfMemoryError e) {
      // One huge image must not take the worker down; its buffers are garbage once we return.
      return PreparedImage.failed(
          record, "image too large to decode in this worker's memory (" + e.getMessage() + ")");
    } catch (CompletionException e) {
      if (TransientFailures.isTransient(e.getCause())) {
        throw e; // S3 unreachable: retried by the caller, never this row's failure.
      }
      return PreparedImage.failed(
          record, "cannot fetch staged image " + record.getImageRef() + ": " + e.getCause());
    }
  }

  /**
   * The record's bytes are not an image record (corrupt, foreign schema, empty): it never will be.
   */
  public static final class UnreadableRecordException extends RuntimeException {
    UnreadableRecordException(Throwable cause) {
      super(cause.toString(), cause);
    }
  }
}
