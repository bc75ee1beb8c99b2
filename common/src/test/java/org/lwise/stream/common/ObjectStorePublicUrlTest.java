package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * What a participant's browser does with a dirmap's {@code url}: an anonymous GET, no credentials.
 * Keys with characters that mean something in a URL must still name their own object.
 */
class ObjectStorePublicUrlTest {
  static S3ProxyServer server;
  static S3AsyncClient s3;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.start();
    s3 = server.client(8);
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
    server.close();
  }

  @Test
  void shouldServeEveryPublicObjectAnonymouslyAtTheUrlTheLayoutWrites() throws Exception {
    S3Layout layout =
        new S3Layout(
            S3Layout.Mode.BUCKET_PER_CONDITION,
            "lwise",
            "",
            "http://127.0.0.1:" + server.port() + "/{bucket}/{key}");
    String bucket = layout.bucket("HAM10000", Conditions.NATURAL);
    ObjectStore store = new ObjectStore(s3, true);
    List<String> paths =
        List.of(
            "images/Nævus 1#a?.png",
            "images/100% sure+.png",
            "images/a&b=c;d.png",
            "images/日本 画像.png",
            "images/tilde~and'quote(1).png",
            "images/plain/ISIC_0024306.png");
    HttpClient anonymous = HttpClient.newHttpClient();
    for (String path : paths) {
      String key = layout.key("HAM10000", Conditions.NATURAL, path);
      byte[] bytes = ("content of " + path).getBytes(StandardCharsets.UTF_8);
      store.put(bucket, key, bytes, "image/png", Digests.sha256(bytes)).join();

      String url = layout.url(bucket, key);
      HttpResponse<byte[]> response =
          anonymous.send(
              HttpRequest.newBuilder(URI.create(url)).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(response.statusCode()).as("GET %s", url).isEqualTo(200);
      assertThat(response.body()).as("GET %s", url).isEqualTo(bytes);
    }
  }
}
