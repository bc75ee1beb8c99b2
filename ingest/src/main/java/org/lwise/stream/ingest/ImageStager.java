package org.lwise.stream.ingest;

import java.util.concurrent.CompletionException;
import org.lwise.stream.common.S3Buckets;
import org.lwise.stream.schema.S3Ref;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Puts large input images in S3 so that image records stay small; the key is the file's SHA-256,
 * so staging the same file twice is one object.
 */
public final class ImageStager {
  private final S3AsyncClient s3;
  private final String bucket;
  private final S3Buckets buckets;

  public ImageStager(S3AsyncClient s3, String bucket) {
    this.s3 = s3;
    this.bucket = bucket;
    this.buckets = new S3Buckets(s3);
  }

  public S3Ref stage(byte[] bytes, String sha256, String contentType) {
    buckets.ensure(bucket).join();
    String key = "inputs/" + sha256;
    if (!exists(key)) {
      s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), AsyncRequestBody.fromBytes(bytes)).join();
    }
    return S3Ref.newBuilder().setBucket(bucket).setKey(key).build();
  }

  private boolean exists(String key) {
    try {
      s3.headObject(b -> b.bucket(bucket).key(key)).join();
      return true;
    } catch (CompletionException e) {
      if (e.getCause() instanceof NoSuchKeyException
          || (e.getCause() instanceof software.amazon.awssdk.services.s3.model.S3Exception s3e && s3e.statusCode() == 404)) {
        return false;
      }
      throw e;
    }
  }
}
