package org.lwise.stream.common;

import io.apicurio.registry.rest.client.exception.RestClientException;
import java.io.IOException;
import org.apache.kafka.common.errors.RetriableException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;

/**
 * Tells an infrastructure failure that will pass (a registry, broker or S3 store that cannot be
 * reached or answers 5xx) from bad input (a record or image that will never be readable). The
 * first is retried and never becomes a dead letter; the second is dead-lettered at once.
 */
public final class TransientFailures {
  private TransientFailures() {}

  public static boolean isTransient(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IOException || t instanceof RetriableException || t instanceof SdkClientException) {
        return true; // connection refused or reset, timeouts, DNS: the server is not there right now
      }
      if (t instanceof SdkServiceException service && (service.statusCode() >= 500 || service.statusCode() == 429)) {
        return true;
      }
      if (t instanceof RegistryUnavailableException) {
        return true;
      }
      if (t instanceof RestClientException registry && registryDidNotAnswer(registry)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Apicurio's client turns a refused connection or a timeout into a {@link RestClientException}
   * without a cause and without an HTTP status (only the exception's name, e.g. ConnectException);
   * an answer carries its status. No status, 5xx or 429: the registry is away or overloaded, not
   * the record at fault (a 404 for an unknown schema id is).
   */
  private static boolean registryDidNotAnswer(RestClientException error) {
    Integer status = error.getError() == null ? null : error.getError().getErrorCode();
    return status == null || status == 0 || status >= 500 || status == 429;
  }

  /** The schema registry answered with a server error (5xx) rather than "no such schema". */
  public static final class RegistryUnavailableException extends RuntimeException {
    public RegistryUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
