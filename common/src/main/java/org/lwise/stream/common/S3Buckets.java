package org.lwise.stream.common;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Creates buckets on first use; "already exists" is success. One per S3 client.
 *
 * <p>The uploader starts dozens of puts into a new bucket at once: they share one CreateBucket
 * request instead of sending one each. A creation that failed (S3 unreachable) is forgotten, so the
 * next put — typically InfrastructureRetry's next attempt — asks again.
 *
 * <p>With {@code publicRead} (outputs under {@code s3.acl=public-read}), a bucket that has no
 * policy also gets one that lets anyone GET its objects: MinIO ignores object ACLs, so without it
 * participants' browsers could not load the images. A bucket's existing policy is left alone, and a
 * store without bucket policies (S3Proxy answers 501) or one that refuses public policies (AWS
 * Block Public Access, 403) keeps relying on the object ACLs, with one log line per bucket.
 */
public final class S3Buckets {
  private static final Logger log = LoggerFactory.getLogger(S3Buckets.class);

  private final S3AsyncClient s3;
  private final boolean publicRead;
  private final ConcurrentMap<String, CompletableFuture<Void>> creations =
      new ConcurrentHashMap<>();

  public S3Buckets(S3AsyncClient s3, boolean publicRead) {
    this.s3 = s3;
    this.publicRead = publicRead;
  }

  public CompletableFuture<Void> ensure(String bucket) {
    CompletableFuture<Void> creation = creations.computeIfAbsent(bucket, this::create);
    // Forget a failure before anyone retries; remove(key, value) leaves a newer attempt alone.
    creation.whenComplete(
        (ignored, error) -> {
          if (error != null) {
            creations.remove(bucket, creation);
          }
        });
    return creation;
  }

  private CompletableFuture<Void> create(String bucket) {
    CompletableFuture<Void> created =
        s3.createBucket(b -> b.bucket(bucket))
            .handle(
                (response, error) -> {
                  if (error != null) {
                    Throwable cause =
                        error instanceof CompletionException ? error.getCause() : error;
                    if (!(cause instanceof BucketAlreadyOwnedByYouException)
                        && !(cause instanceof BucketAlreadyExistsException)) {
                      throw new CompletionException(cause);
                    }
                  }
                  return null;
                });
    return publicRead
        ? created.thenCompose(ignored -> allowPublicReadUnlessPolicy(bucket))
        : created;
  }

  static String publicReadPolicy(String bucket) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"lwise-public-read\",\"Effect\":\"Allow\","
        + "\"Principal\":\"*\",\"Action\":[\"s3:GetObject\"],\"Resource\":[\"arn:aws:s3:::"
        + bucket
        + "/*\"]}]}";
  }

  private CompletableFuture<Void> allowPublicReadUnlessPolicy(String bucket) {
    return s3.getBucketPolicy(b -> b.bucket(bucket))
        .handle(
            (existing, error) -> {
              if (error == null) {
                return CompletableFuture.<Void>completedFuture(
                    null); // the bucket's owner decided already
              }
              if (statusOf(error) != 404) { // 404: NoSuchBucketPolicy
                return noPolicy(bucket, error);
              }
              return s3.putBucketPolicy(b -> b.bucket(bucket).policy(publicReadPolicy(bucket)))
                  .handle(
                      (put, putError) ->
                          putError == null ? null : noPolicy(bucket, putError).join());
            })
        .thenCompose(next -> next);
  }

  /**
   * Not implemented or refused: object ACLs decide; anything else (unreachable, 5xx) fails for a
   * retry.
   */
  private static CompletableFuture<Void> noPolicy(String bucket, Throwable error) {
    int status = statusOf(error);
    if (status == 501 || status == 403) {
      log.info(
          "bucket {}: no public-read bucket policy ({}); objects are readable through their ACLs only",
          bucket,
          status == 501
              ? "the store has no bucket policies"
              : "refused, e.g. by Block Public Access");
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.failedFuture(
        error instanceof CompletionException ? error.getCause() : error);
  }

  private static int statusOf(Throwable error) {
    Throwable cause = error instanceof CompletionException ? error.getCause() : error;
    return cause instanceof S3Exception s3e ? s3e.statusCode() : -1;
  }
}
