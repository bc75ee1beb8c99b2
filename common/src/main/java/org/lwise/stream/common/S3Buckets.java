package org.lwise.stream.common;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/** Creates buckets on first use; "already exists" is success. One per S3 client. */
public final class S3Buckets {
  private final S3AsyncClient s3;
  private final Set<String> known = ConcurrentHashMap.newKeySet();

  public S3Buckets(S3AsyncClient s3) {
    this.s3 = s3;
  }

  public CompletableFuture<Void> ensure(String bucket) {
    if (known.contains(bucket)) {
      return CompletableFuture.completedFuture(null);
    }
    return s3.createBucket(b -> b.bucket(bucket)).handle((response, error) -> {
      if (error != null) {
        Throwable cause = error instanceof CompletionException ? error.getCause() : error;
        if (!(cause instanceof BucketAlreadyOwnedByYouException) && !(cause instanceof BucketAlreadyExistsException)) {
          throw new CompletionException(cause);
        }
      }
      known.add(bucket);
      return null;
    });
  }
}
