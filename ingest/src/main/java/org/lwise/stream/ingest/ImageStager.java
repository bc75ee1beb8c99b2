package org.lwise.stream.ingest;

import org.lwise.stream.common.ObjectStore;
import org.lwise.stream.schema.S3Ref;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * Puts large input images in S3 so that image records stay small; the key is the file's SHA-256, so
 * staging the same file twice is one object, written once ({@link ObjectStore}).
 */
public final class ImageStager {
  private final ObjectStore store;
  private final String bucket;

  public ImageStager(S3AsyncClient s3, String bucket) {
    this.store = new ObjectStore(s3, false); // inputs are read by the workers only, never public
    this.bucket = bucket;
  }

  public S3Ref stage(byte[] bytes, String sha256, String contentType) {
    String key = "inputs/" + sha256;
    store.put(bucket, key, bytes, contentType, sha256).join();
    return S3Ref.newBuilder().setBucket(bucket).setKey(key).build();
  }
}
