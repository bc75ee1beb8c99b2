package org.lwise.stream.common;

import java.net.URI;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * A real S3 API for tests (S3Proxy, signatures enforced) that can be stopped and started again on
 * the same port with its objects kept, to play an S3 outage. Clients come from {@link S3Clients},
 * so tests exercise the production client configuration. Public for the other modules' tests
 * (common's test-jar).
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "test-access";
  public static final String SECRET_KEY = "test-secret";

  private final BlobStore store = BlobStores.create("transient", new Properties());
  private S3Proxy proxy;
  private int port;

  private S3ProxyServer() {}

  public static S3ProxyServer start() throws Exception {
    S3ProxyServer server = new S3ProxyServer();
    server.startOn(0);
    return server;
  }

  /** Starts again on the port it had, with the objects it had. */
  public void restart() throws Exception {
    startOn(port);
  }

  private void startOn(int requestedPort) throws Exception {
    proxy =
        S3Proxy.builder()
            .blobStore(store)
            .endpoint(URI.create("http://127.0.0.1:" + requestedPort))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .ignoreUnknownHeaders(true)
            .build();
    proxy.start();
    while (!"STARTED".equals(proxy.getState())) {
      if ("FAILED".equals(proxy.getState())) {
        throw new IllegalStateException("S3Proxy failed to start on port " + requestedPort);
      }
      Thread.sleep(10);
    }
    port = proxy.getPort();
  }

  public void stop() throws Exception {
    proxy.stop();
    while (!"STOPPED".equals(proxy.getState())) {
      Thread.sleep(10);
    }
  }

  public int port() {
    return port;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** The connection settings a stage would have for this server (path style, as S3Proxy needs). */
  public ConnectionConfig connection(String urlTemplate) {
    return ConnectionConfig.from(
        Map.of(
            ConnectionConfig.BOOTSTRAP_SERVERS, "unused:9092",
            ConnectionConfig.REGISTRY_URL, "http://unused/apis/registry/v2",
            ConnectionConfig.S3_ENDPOINT, endpoint(),
            ConnectionConfig.S3_PATH_STYLE, "true",
            ConnectionConfig.S3_URL_TEMPLATE, urlTemplate));
  }

  /** A client built exactly as the stages build theirs, with this server's credentials. */
  public S3AsyncClient client(int maxConcurrency) {
    return S3Clients.create(
        connection(S3Layout.AWS_URL_TEMPLATE),
        maxConcurrency,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
  }

  @Override
  public void close() throws Exception {
    if (proxy != null && !"STOPPED".equals(proxy.getState())) {
      stop();
    }
  }
}
