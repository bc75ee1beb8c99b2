package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.retries.api.AcquireInitialTokenRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenRequest;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.retries.api.RetryToken;
import software.amazon.awssdk.retries.api.TokenAcquisitionFailedException;

class S3ClientsTest {
  @Test
  void shouldRetryARequestThatFoundAStaleHandlerInItsPooledConnection() {
    var staleHandler =
        SdkClientException.create(
            "Unable to execute HTTP request: Duplicate handler name",
            new IllegalArgumentException(
                "Duplicate handler name: HttpStreamsClientHandler#0-body-subscriber"));
    assertThat(retries(staleHandler)).isTrue();
  }

  @Test
  void shouldNotRetryOtherProgrammingErrors() {
    var other =
        SdkClientException.create(
            "bad request", new IllegalArgumentException("bucket must not be null"));
    assertThat(retries(other)).isFalse();
  }

  private static boolean retries(Throwable failure) {
    RetryStrategy strategy = S3Clients.retryStrategy();
    RetryToken token =
        strategy.acquireInitialToken(AcquireInitialTokenRequest.create("s3")).token();
    try {
      strategy.refreshRetryToken(
          RefreshRetryTokenRequest.builder().token(token).failure(failure).build());
      return true;
    } catch (TokenAcquisitionFailedException refused) {
      return false;
    }
  }
}
