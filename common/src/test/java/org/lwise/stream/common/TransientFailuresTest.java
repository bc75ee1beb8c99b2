package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.rest.client.exception.RestClientException;
import io.apicurio.registry.rest.v2.beans.Error;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.file.AccessDeniedException;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

class TransientFailuresTest {
  @Test
  void shouldRetryWhatAnUnreachableServerCauses() {
    assertThat(
            TransientFailures.isTransient(new CompletionException(new ConnectException("refused"))))
        .isTrue();
    assertThat(TransientFailures.isTransient(new TimeoutException("broker"))).isTrue();
    assertThat(
            TransientFailures.isTransient(
                SdkClientException.create("Unable to execute HTTP request")))
        .isTrue();
    assertThat(
            TransientFailures.isTransient(
                S3Exception.builder().statusCode(503).message("slow down").build()))
        .isTrue();
    assertThat(
            TransientFailures.isTransient(
                new SerializationException("wrapped", registryError(null, "ConnectException"))))
        .as("Apicurio drops the IOException and its status: a registry that is not there")
        .isTrue();
    assertThat(TransientFailures.isTransient(registryError(503, "ServiceUnavailable"))).isTrue();
  }

  @Test
  void shouldNotTakeACorruptBodyOrAFileSystemErrorForAnOutage() {
    // Apicurio wraps the EOFException of a truncated Avro body in UncheckedIOException.
    assertThat(TransientFailures.isTransient(new UncheckedIOException(new EOFException())))
        .as("a truncated record will never be readable")
        .isFalse();
    assertThat(
            TransientFailures.isTransient(
                new UncheckedIOException(new AccessDeniedException("/out/dirmap.csv"))))
        .isFalse();
    assertThat(
            TransientFailures.isTransient(
                new UncheckedIOException(new SocketTimeoutException("read timed out"))))
        .isTrue();
  }

  @Test
  void shouldNotRetryBadInput() {
    assertThat(TransientFailures.isTransient(new SerializationException("Unknown magic byte!")))
        .isFalse();
    assertThat(TransientFailures.isTransient(registryError(404, "ArtifactNotFoundException")))
        .as("a schema id the registry does not have: the record is foreign")
        .isFalse();
    assertThat(
            TransientFailures.isTransient(
                S3Exception.builder().statusCode(400).message("bad key").build()))
        .isFalse();
    assertThat(TransientFailures.isTransient(new IllegalArgumentException("bucket name")))
        .isFalse();
  }

  @Test
  void shouldRetryAnS3StoreThatIsNotThere() {
    var refused =
        SdkClientException.create(
            "Unable to execute HTTP request: Connection refused",
            new ConnectException("Connection refused"));
    var stoppedMidRequest =
        SdkClientException.create(
            "Unable to execute HTTP request",
            new IOException("Server failed to send complete response. The channel was closed."));
    var unavailable = S3Exception.builder().statusCode(503).message("Service Unavailable").build();
    var slowDown = S3Exception.builder().statusCode(503).message("SlowDown").build();
    var staleHandler =
        SdkClientException.create(
            "Unable to execute HTTP request: Duplicate handler name",
            new IllegalArgumentException(
                "Duplicate handler name: HttpStreamsClientHandler#0-body-subscriber"));

    assertThat(TransientFailures.isTransient(new CompletionException(refused))).isTrue();
    assertThat(TransientFailures.isTransient(new CompletionException(stoppedMidRequest))).isTrue();
    assertThat(TransientFailures.isTransient(new CompletionException(unavailable))).isTrue();
    assertThat(TransientFailures.isTransient(slowDown)).isTrue();
    assertThat(TransientFailures.isTransient(new CompletionException(staleHandler))).isTrue();
  }

  @Test
  void shouldNotRetryWhatS3RefusesForGood() {
    assertThat(
            TransientFailures.isTransient(
                new CompletionException(
                    S3Exception.builder().statusCode(400).message("InvalidBucketName").build())))
        .isFalse();
    assertThat(
            TransientFailures.isTransient(
                S3Exception.builder().statusCode(403).message("AccessDenied").build()))
        .isFalse();
    assertThat(
            TransientFailures.isTransient(NoSuchBucketException.builder().statusCode(404).build()))
        .isFalse();
    assertThat(
            TransientFailures.isTransient(
                new IllegalArgumentException("bucket name longer than 63")))
        .isFalse();
  }

  private static RestClientException registryError(Integer status, String name) {
    Error error = new Error();
    error.setErrorCode(status);
    error.setName(name);
    return new RestClientException(error);
  }
}
