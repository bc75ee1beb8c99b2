package org.lwise.stream.common;

import io.apicurio.registry.rest.client.exception.RestClientException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import org.apache.kafka.common.errors.RetriableException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;

/**
 * Tells an infrastructure failure that will pass (a registry, broker or S3 store that cannot be
 * reached or answers 5xx) from bad input (a record or image that will never be readable). The first
 * is retried and never becomes a dead letter; the second is dead-lettered at once.
 */
public final class TransientFailures {
  private TransientFailures() {}

  public static boolean isTransient(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (isConnectionFailure(t)
          || t instanceof RetriableException
          || t instanceof SdkClientException) {
        return true; // connection refused or reset, timeouts, DNS: the server is not there right
        // now
      }
      if (t instanceof SdkServiceException service
          && (service.statusCode() >= 500 || service.statusCode() == 429)) {
        return true;
      }
      if (t instanceof RestClientException registry && isUnreachable(registry)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Apicurio's client turns an IOException (refused, reset, timed out) into a RestClientException
   * without the cause and without an HTTP status; a server error keeps its 5xx status. "No such
   * schema" (404) and other 4xx answers are the record's fault.
   */
  private static boolean isUnreachable(RestClientException registry) {
    Integer status = registry.getError() == null ? null : registry.getError().getErrorCode();
    return status == null || status == 0 || status >= 500 || status == 429;
  }

  /**
   * Only I/O failures of a connection count: an EOFException from a truncated Avro body (Apicurio
   * wraps it in UncheckedIOException) or a file system error is not a server that will come back.
   */
  private static boolean isConnectionFailure(Throwable t) {
    return t instanceof SocketException // ConnectException, NoRouteToHostException, reset
        || t instanceof InterruptedIOException // SocketTimeoutException
        || t instanceof UnknownHostException
        || t instanceof HttpTimeoutException
        || t instanceof HttpConnectTimeoutException
        || t instanceof ClosedChannelException;
  }
}
