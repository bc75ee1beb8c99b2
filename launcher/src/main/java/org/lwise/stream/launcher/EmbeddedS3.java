package org.lwise.stream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real S3 API (S3Proxy: signatures checked, ETags, ACLs, multipart) storing objects as plain
 * files {@code <baseDir>/<bucket>/<key>}, so people can browse the results. Credentials are random
 * per run and handed to the AWS SDK through its standard system properties; never logged.
 */
public final class EmbeddedS3 implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedS3.class);

  private final S3Proxy proxy;
  private final String endpoint;

  private EmbeddedS3(S3Proxy proxy, String endpoint) {
    this.proxy = proxy;
    this.endpoint = endpoint;
  }

  public static EmbeddedS3 start(Path baseDir, int port) {
    try {
      Files.createDirectories(baseDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + baseDir, e);
    }
    SecureRandom random = new SecureRandom();
    String accessKey = "lwise" + HexFormat.of().formatHex(random.generateSeed(6));
    String secretKey = HexFormat.of().formatHex(random.generateSeed(20));
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", baseDir.toAbsolutePath().toString());
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(BlobStores.create("filesystem", props))
        .endpoint(URI.create("http://127.0.0.1:" + port))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
        .ignoreUnknownHeaders(true) // the SDK's multipart client sends headers S3Proxy does not know
        .build();
    try {
      proxy.start();
      while (!"STARTED".equals(proxy.getState())) {
        if ("FAILED".equals(proxy.getState())) {
          throw new IllegalStateException("S3Proxy failed to start on port " + port);
        }
        Thread.sleep(20);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot start S3Proxy on port " + port + ": " + e.getMessage(), e);
    }
    // The SDK's default credentials chain reads these first.
    System.setProperty("aws.accessKeyId", accessKey);
    System.setProperty("aws.secretAccessKey", secretKey);
    String endpoint = "http://127.0.0.1:" + proxy.getPort();
    log.info("S3 (S3Proxy) ready at {}, objects under {}", endpoint, baseDir);
    return new EmbeddedS3(proxy, endpoint);
  }

  public String endpoint() {
    return endpoint;
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      log.warn("S3Proxy did not stop cleanly: {}", e.toString());
    }
  }
}
