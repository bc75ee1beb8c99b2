package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * The uploader's path through an S3 outage: puts inside InfrastructureRetry while S3Proxy is down.
 */
class ObjectStoreOutageTest {
  S3ProxyServer server;
  S3AsyncClient s3;

  @BeforeEach
  void start() throws Exception {
    server = S3ProxyServer.start();
    s3 = server.client(8);
  }

  @AfterEach
  void stop() throws Exception {
    s3.close();
    server.close();
  }

  @Test
  void shouldFinishPutsIntoANewBucketOnceS3IsBackOnItsPort() throws Exception {
    ObjectStore store = new ObjectStore(s3, true);
    InfrastructureRetry retry = new InfrastructureRetry(Duration.ofSeconds(60));
    byte[] bytes = "an image".getBytes(StandardCharsets.UTF_8);
    server
        .stop(); // connection refused from the first request on: CreateBucket fails, then is asked
    // again

    CompletableFuture<Boolean> put =
        retry.getAsync(
            () ->
                store.put(
                    "outage-natural", "images/a.png", bytes, "image/png", Digests.sha256(bytes)));
    Thread.sleep(3_000);
    assertThat(put).as("still retrying while S3 is away").isNotDone();
    server.restart();

    assertThat(put.get(30, TimeUnit.SECONDS)).isTrue();
    assertThat(object("outage-natural", "images/a.png")).isEqualTo(bytes);
  }

  @Test
  void shouldFinishPutsThatWereInFlightWhenS3Stopped() throws Exception {
    ObjectStore store = new ObjectStore(s3, true);
    InfrastructureRetry retry = new InfrastructureRetry(Duration.ofSeconds(60));
    List<CompletableFuture<Boolean>> puts = new ArrayList<>();
    List<byte[]> contents = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      byte[] bytes = ("image " + i).repeat(2_000).getBytes(StandardCharsets.UTF_8);
      contents.add(bytes);
      String key = "images/" + i + ".png";
      puts.add(
          retry.getAsync(
              () -> store.put("midway-natural", key, bytes, "image/png", Digests.sha256(bytes))));
    }
    server.stop(); // some puts done, some mid-request, some not started
    Thread.sleep(3_000);
    server.restart();

    CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    for (int i = 0; i < contents.size(); i++) {
      assertThat(object("midway-natural", "images/" + i + ".png")).isEqualTo(contents.get(i));
    }
  }

  private byte[] object(String bucket, String key) {
    return s3.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes())
        .join()
        .asByteArray();
  }
}
