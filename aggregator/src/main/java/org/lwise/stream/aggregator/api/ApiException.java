package org.lwise.stream.aggregator.api;

/**
 * A request the API answers with an error status and a JSON body naming what is wrong. Thrown by
 * the handlers; never carries a stack trace to the client.
 */
public final class ApiException extends RuntimeException {
  /** Seconds a client should wait before asking again when state is not queryable yet. */
  static final int RETRY_AFTER_SECONDS = 2;

  private final int status;

  ApiException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }

  static ApiException notFound(String message) {
    return new ApiException(404, message);
  }

  static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }

  static ApiException conflict(String message) {
    return new ApiException(409, message);
  }

  static ApiException unavailable(String message) {
    return new ApiException(503, message);
  }
}
