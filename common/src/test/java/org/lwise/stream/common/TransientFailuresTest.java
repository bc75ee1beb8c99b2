package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.rest.client.exception.RestClientException;
import io.apicurio.registry.rest.v2.beans.Error;
import org.junit.jupiter.api.Test;

class TransientFailuresTest {
  private static RestClientException registryError(String name, Integer status) {
    Error error = new Error();
    error.setName(name);
    error.setErrorCode(status);
    return new RestClientException(error);
  }

  @Test
  void shouldRetryARegistryThatDidNotAnswer() {
    // What Apicurio's client throws for a refused connection: no cause, no status.
    assertThat(TransientFailures.isTransient(new IllegalStateException(registryError("ConnectException", null)))).isTrue();
    assertThat(TransientFailures.isTransient(registryError("RuntimeException", 503))).isTrue();
  }

  @Test
  void shouldNotRetryAnUnknownSchemaId() {
    assertThat(TransientFailures.isTransient(registryError("ContentNotFoundException", 404))).isFalse();
  }
}
