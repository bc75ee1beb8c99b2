package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/** Against a real S3 API (S3Proxy, signatures enforced), not a mock. */
class ObjectStoreTest {
  static S3Proxy proxy;
  static S3AsyncClient s3;

  @BeforeAll
  static void start() throws Exception {
    proxy =
        S3Proxy.builder()
            .blobStore(BlobStores.create("transient", new Properties()))
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "test-access", "test-secret")
            .ignoreUnknownHeaders(true)
            .build();
    proxy.start();
    while (!"STARTED".equals(proxy.getState())) {
      Thread.sleep(10);
    }
    s3 =
        S3AsyncClient.builder()
            .endpointOverride(URI.create("http://127.0.0.1:" + proxy.getPort()))
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create("test-access", "test-secret")))
            .build();
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
    proxy.stop();
  }

  @Test
  void shouldWriteOnceAndSkipIdenticalContentOnReplay() {
    ObjectStore store = new ObjectStore(s3, true);
    byte[] png = "fake png bytes".getBytes(StandardCharsets.UTF_8);
    String sha = Digests.sha256(png);
    assertThat(store.put("lab-ham-natural", "images/a.png", png, "image/png", sha).join()).isTrue();
    assertThat(store.put("lab-ham-natural", "images/a.png", png, "image/png", sha).join())
        .isFalse();
    var head = s3.headObject(b -> b.bucket("lab-ham-natural").key("images/a.png")).join();
    assertThat(head.contentType()).isEqualTo("image/png");
    assertThat(head.metadata()).containsEntry("sha256", sha);
  }

  @Test
  void shouldReplaceAnObjectWhoseContentChanged() {
    ObjectStore store = new ObjectStore(s3, false);
    byte[] first = "first".getBytes(StandardCharsets.UTF_8);
    byte[] second = "second".getBytes(StandardCharsets.UTF_8);
    store.put("lab-ham-1-0dot5-2-logit", "b.png", first, "image/png", Digests.sha256(first)).join();
    assertThat(
            store
                .put(
                    "lab-ham-1-0dot5-2-logit", "b.png", second, "image/png", Digests.sha256(second))
                .join())
        .isTrue();
    byte[] stored =
        s3.getObject(
                b -> b.bucket("lab-ham-1-0dot5-2-logit").key("b.png"),
                AsyncResponseTransformer.toBytes())
            .join()
            .asByteArray();
    assertThat(stored).isEqualTo(second);
  }

  @Test
  void shouldWriteAtOnceWithoutLookingWhenNotCheckingExisting() {
    ObjectStore store = new ObjectStore(s3, false, false);
    byte[] png = "same bytes".getBytes(StandardCharsets.UTF_8);
    String sha = Digests.sha256(png);
    assertThat(store.put("lab-ham-natural", "images/c.png", png, "image/png", sha).join()).isTrue();
    assertThat(store.put("lab-ham-natural", "images/c.png", png, "image/png", sha).join())
        .as("rewritten, same content")
        .isTrue();
    assertThat(
            s3.headObject(b -> b.bucket("lab-ham-natural").key("images/c.png")).join().metadata())
        .containsEntry("sha256", sha);
  }
}
