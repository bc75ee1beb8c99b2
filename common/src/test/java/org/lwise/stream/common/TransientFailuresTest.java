package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** How the SDK reports an S3 store that is away, as the uploader's futures deliver it. */
class TransientFailuresTest {
  @Test
  void shouldRetryAnS3StoreThatIsNotThere() {
    var refused = SdkClientException.create("Unable to execute HTTP request: Connection refused",
        new ConnectException("Connection refused"));
    var stoppedMidRequest = SdkClientException.create("Unable to execute HTTP request",
        new IOException("Server failed to send complete response. The channel was closed."));
    var unavailable = S3Exception.builder().statusCode(503).message("Service Unavailable").build();
    var slowDown = S3Exception.builder().statusCode(503).message("SlowDown").build();
    var staleHandler = SdkClientException.create("Unable to execute HTTP request: Duplicate handler name",
        new IllegalArgumentException("Duplicate handler name: HttpStreamsClientHandler#0-body-subscriber"));

    assertThat(TransientFailures.isTransient(new CompletionException(refused))).isTrue();
    assertThat(TransientFailures.isTransient(new CompletionException(stoppedMidRequest))).isTrue();
    assertThat(TransientFailures.isTransient(new CompletionException(unavailable))).isTrue();
    assertThat(TransientFailures.isTransient(slowDown)).isTrue();
    assertThat(TransientFailures.isTransient(new CompletionException(staleHandler))).isTrue();
  }

  @Test
  void shouldNotRetryWhatS3RefusesForGood() {
    assertThat(TransientFailures.isTransient(new CompletionException(
        S3Exception.builder().statusCode(400).message("InvalidBucketName").build()))).isFalse();
    assertThat(TransientFailures.isTransient(S3Exception.builder().statusCode(403).message("AccessDenied").build()))
        .isFalse();
    assertThat(TransientFailures.isTransient(NoSuchBucketException.builder().statusCode(404).build())).isFalse();
    assertThat(TransientFailures.isTransient(new IllegalArgumentException("bucket name longer than 63"))).isFalse();
  }
}
