package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The uploader's load on one S3 client: many small puts in flight at once, into buckets that do not
 * exist yet, on pooled HTTP/1.1 connections that are reused thousands of times. A pipeline race in
 * the SDK's Netty client ("Duplicate handler name", see S3Clients) once ended a 1,000-image run;
 * this drives the same pattern through the production client configuration.
 */
class ObjectStoreConcurrencyTest {
  private static final int OBJECTS = 2_000;
  private static final int BUCKETS = 8;
  private static final int CONNECTIONS = 32; // uploader.concurrency's default
  private static final int IN_FLIGHT =
      64; // more puts than connections, so every connection is contended

  static S3ProxyServer server;
  static S3AsyncClient s3;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.start();
    s3 = server.client(CONNECTIONS);
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
    server.close();
  }

  @Test
  void shouldStoreEveryObjectOnceUnderConcurrentPutsIntoNewBuckets() throws Exception {
    ObjectStore store = new ObjectStore(s3, true);
    Random random = new Random(42);
    Map<String, Map<String, String>> expectedMd5ByBucket = new HashMap<>();
    List<CompletableFuture<Boolean>> puts = new ArrayList<>();
    Semaphore inFlight = new Semaphore(IN_FLIGHT);
    for (int i = 0; i < OBJECTS; i++) {
      String bucket = "stress-" + (i % BUCKETS);
      String key = "images/class-" + (i % 7) + "/img-" + i + ".png";
      byte[] bytes = new byte[1 + random.nextInt(4096)];
      random.nextBytes(bytes);
      expectedMd5ByBucket.computeIfAbsent(bucket, b -> new HashMap<>()).put(key, md5(bytes));
      inFlight.acquire();
      CompletableFuture<Boolean> put =
          store.put(bucket, key, bytes, "image/png", Digests.sha256(bytes));
      put.whenComplete((written, error) -> inFlight.release());
      puts.add(put);
    }
    CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new))
        .join(); // throws on the first failed put
    assertThat(puts).allSatisfy(put -> assertThat(put.join()).as("written, not skipped").isTrue());

    for (var bucket : expectedMd5ByBucket.entrySet()) {
      Map<String, String> stored = new HashMap<>();
      s3.listObjectsV2Paginator(b -> b.bucket(bucket.getKey()))
          .contents()
          .subscribe(
              (S3Object object) ->
                  assertThat(stored.put(object.key(), object.eTag().replace("\"", "")))
                      .as("listed once: %s", object.key())
                      .isNull())
          .join();
      assertThat(stored)
          .as("bucket %s: every key once, with its content's MD5", bucket.getKey())
          .isEqualTo(bucket.getValue());
    }
  }

  private static String md5(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
  }
}
