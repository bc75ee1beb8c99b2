package org.lwise.stream.common;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/**
 * Creates buckets on first use; "already exists" is success. One per S3 client.
 *
 * <p>The uploader starts dozens of puts into a new bucket at once: they share one CreateBucket
 * request instead of sending one each. A creation that failed (S3 unreachable) is forgotten, so
 * the next put — typically InfrastructureRetry's next attempt — asks again.
 */
public final class S3Buckets {
  private final S3AsyncClient s3;
  private final ConcurrentMap<String, CompletableFuture<Void>> creations = new ConcurrentHashMap<>();

  public S3Buckets(S3AsyncClient s3) {
    this.s3 = s3;
  }

  public CompletableFuture<Void> ensure(String bucket) {
    CompletableFuture<Void> creation = creations.computeIfAbsent(bucket, this::create);
    // Forget a failure before anyone retries; remove(key, value) leaves a newer attempt alone.
    creation.whenComplete((ignored, error) -> {
      if (error != null) {
        creations.remove(bucket, creation);
      }
    });
    return creation;
  }

  private CompletableFuture<Void> create(String bucket) {
    return s3.createBucket(b -> b.bucket(bucket)).handle((response, error) -> {
      if (error != null) {
        Throwable cause = error instanceof CompletionException ? error.getCause() : error;
        if (!(cause instanceof BucketAlreadyOwnedByYouException) && !(cause instanceof BucketAlreadyExistsException)) {
          throw new CompletionException(cause);
        }
      }
      return null;
    });
  }
}
