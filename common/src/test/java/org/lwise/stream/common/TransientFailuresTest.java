package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.rest.client.exception.RestClientException;
import io.apicurio.registry.rest.v2.beans.Error;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

class TransientFailuresTest {
  @Test
  void shouldRetryWhatAnUnreachableServerCauses() {
    assertThat(TransientFailures.isTransient(new CompletionException(new ConnectException("refused")))).isTrue();
    assertThat(TransientFailures.isTransient(new TimeoutException("broker"))).isTrue();
    assertThat(TransientFailures.isTransient(SdkClientException.create("Unable to execute HTTP request"))).isTrue();
    assertThat(TransientFailures.isTransient(S3Exception.builder().statusCode(503).message("slow down").build())).isTrue();
    assertThat(TransientFailures.isTransient(new SerializationException("wrapped", registryError(null, "ConnectException"))))
        .as("Apicurio drops the IOException and its status: a registry that is not there").isTrue();
    assertThat(TransientFailures.isTransient(registryError(503, "ServiceUnavailable"))).isTrue();
  }

  @Test
  void shouldNotRetryBadInput() {
    assertThat(TransientFailures.isTransient(new SerializationException("Unknown magic byte!"))).isFalse();
    assertThat(TransientFailures.isTransient(registryError(404, "ArtifactNotFoundException")))
        .as("a schema id the registry does not have: the record is foreign").isFalse();
    assertThat(TransientFailures.isTransient(S3Exception.builder().statusCode(400).message("bad key").build())).isFalse();
    assertThat(TransientFailures.isTransient(new IllegalArgumentException("bucket name"))).isFalse();
  }

  private static RestClientException registryError(Integer status, String name) {
    Error error = new Error();
    error.setErrorCode(status);
    error.setName(name);
    return new RestClientException(error);
  }
}
