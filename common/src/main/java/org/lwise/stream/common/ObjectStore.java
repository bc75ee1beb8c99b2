package org.lwise.stream.common;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Idempotent uploads: an object whose stored SHA-256 (user metadata) equals the new content's is
 * left alone, so a replayed record or a re-run costs one HEAD request and writes nothing.
 */
public final class ObjectStore {
  static final String SHA256_METADATA = "sha256";

  private final S3AsyncClient s3;
  private final boolean publicRead;
  private final S3Buckets buckets;

  private final boolean checkExisting;

  public ObjectStore(S3AsyncClient s3, boolean publicRead) {
    this(s3, publicRead, true);
  }

  /**
   * @param checkExisting HEAD before each PUT and skip identical content; false writes at once (one
   *     request instead of two: a replay then rewrites the same bytes under the same key, still
   *     idempotent)
   */
  public ObjectStore(S3AsyncClient s3, boolean publicRead, boolean checkExisting) {
    this.s3 = s3;
    this.publicRead = publicRead;
    this.checkExisting = checkExisting;
    this.buckets = new S3Buckets(s3, publicRead);
  }

  /**
   * Completes with true when the object was written, false when identical content was already
   * there.
   */
  public CompletableFuture<Boolean> put(
      String bucket, String key, byte[] bytes, String contentType, String sha256) {
    return buckets
        .ensure(bucket)
        .thenCompose(
            ignored ->
                !checkExisting
                    ? CompletableFuture.completedFuture(false)
                    : s3.headObject(b -> b.bucket(bucket).key(key))
                        .handle((head, error) -> sameContent(head, error, sha256)))
        .thenCompose(
            same -> {
              if (same) {
                return CompletableFuture.completedFuture(false);
              }
              return s3.putObject(
                      b -> {
                        b.bucket(bucket)
                            .key(key)
                            .contentType(contentType)
                            .metadata(Map.of(SHA256_METADATA, sha256));
                        if (publicRead) {
                          b.acl(ObjectCannedACL.PUBLIC_READ);
                        }
                      },
                      AsyncRequestBody.fromBytes(bytes))
                  .thenApply(response -> true);
            });
  }

  private static boolean sameContent(HeadObjectResponse head, Throwable error, String sha256) {
    if (error != null) {
      Throwable cause = error instanceof CompletionException ? error.getCause() : error;
      if (cause instanceof S3Exception s3e && s3e.statusCode() == 404) {
        return false;
      }
      throw new CompletionException(cause);
    }
    return sha256.equals(head.metadata().get(SHA256_METADATA));
  }
}
