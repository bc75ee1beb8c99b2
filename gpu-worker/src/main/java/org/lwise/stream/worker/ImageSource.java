package org.lwise.stream.worker;

import java.nio.ByteBuffer;
import java.util.function.Supplier;
import org.lwise.stream.schema.ImageRecord;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/** The bytes of an image record: inline, or fetched from where ingest staged it in S3. */
public final class ImageSource {
  private final Supplier<S3AsyncClient> s3;

  /**
   * @param s3 created on first use: most jobs never stage images
   */
  public ImageSource(Supplier<S3AsyncClient> s3) {
    this.s3 = s3;
  }

  public byte[] bytes(ImageRecord record) {
    if (record.getImage() != null) {
      ByteBuffer buffer = record.getImage().duplicate();
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    }
    if (record.getImageRef() == null) {
      throw new IllegalArgumentException(
          "image record has neither inline bytes nor an S3 reference");
    }
    return s3.get()
        .getObject(
            b -> b.bucket(record.getImageRef().getBucket()).key(record.getImageRef().getKey()),
            AsyncResponseTransformer.toBytes())
        .join()
        .asByteArray();
  }
}
