package org.lwise.stream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.CrossOriginResourceSharing;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real S3 API (S3Proxy: signatures checked, ETags, ACLs, multipart) storing objects as plain
 * files {@code <baseDir>/<bucket>/<key>}, so people can browse the results. Credentials are random
 * per run and handed to the AWS SDK through its standard system properties, and to other clients
 * through an AWS shared-credentials file ({@link #writeCredentials}); never logged. It answers CORS
 * for GET and HEAD from the configured origins, so an experiment page served from elsewhere can
 * preload the images and fetch the JSON dirmaps.
 */
public final class EmbeddedS3 implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedS3.class);
  static final String ANY_ORIGIN = "*";

  private final Path baseDir;
  private final int port;
  private final String accessKey;
  private final String secretKey;
  private final String endpoint;
  private final List<String> corsOrigins;
  private S3Proxy proxy; // null while stopped

  private EmbeddedS3(
      Path baseDir, int port, String accessKey, String secretKey, List<String> corsOrigins) {
    this.baseDir = baseDir;
    this.port = port;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.endpoint = "http://127.0.0.1:" + port;
    this.corsOrigins = List.copyOf(corsOrigins);
  }

  /**
   * @param corsOrigins origins whose pages may read objects ({@code *}: any)
   */
  public static EmbeddedS3 start(Path baseDir, int port, List<String> corsOrigins) {
    try {
      Files.createDirectories(baseDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + baseDir, e);
    }
    SecureRandom random = new SecureRandom();
    EmbeddedS3 s3 =
        new EmbeddedS3(
            baseDir,
            port,
            "lwise" + HexFormat.of().formatHex(random.generateSeed(6)),
            HexFormat.of().formatHex(random.generateSeed(20)),
            corsOrigins);
    s3.start();
    // The SDK's default credentials chain reads these first.
    System.setProperty("aws.accessKeyId", s3.accessKey);
    System.setProperty("aws.secretAccessKey", s3.secretKey);
    return s3;
  }

  /**
   * Starts S3Proxy (again) on its port over the same folder and with the same keys, so clients
   * configured before a {@link #stop()} keep working; does nothing if it is running.
   */
  public synchronized void start() {
    if (proxy != null) {
      return;
    }
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", baseDir.toAbsolutePath().toString());
    S3Proxy started =
        S3Proxy.builder()
            .blobStore(BlobStores.create("filesystem", props))
            .endpoint(URI.create(endpoint))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
            .ignoreUnknownHeaders(
                true) // the SDK's multipart client sends headers S3Proxy does not know
            .corsRules(corsRules())
            .build();
    try {
      started.start();
      while (!"STARTED".equals(started.getState())) {
        if ("FAILED".equals(started.getState())) {
          throw new IllegalStateException("S3Proxy failed to start on port " + port);
        }
        Thread.sleep(20);
      }
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot start S3Proxy on port " + port + ": " + e.getMessage(), e);
    }
    proxy = started;
    log.info(
        "S3 (S3Proxy) ready at {}, objects under {}, CORS for {}", endpoint, baseDir, corsOrigins);
  }

  /**
   * Browsers may GET and HEAD objects from the configured origins; S3Proxy reads each origin as a
   * regular expression, so they are quoted to mean exactly what the setting says.
   */
  private CrossOriginResourceSharing corsRules() {
    List<String> origins =
        corsOrigins.contains(ANY_ORIGIN)
            ? List.of(ANY_ORIGIN)
            : corsOrigins.stream().map(Pattern::quote).toList();
    return new CrossOriginResourceSharing(
        origins,
        List.of("GET", "HEAD"),
        List.of("*"),
        List.of("ETag", "Content-Length", "Content-Type", "Last-Modified"),
        "false");
  }

  /**
   * Writes this run's keys as the {@code [default]} profile of an AWS shared-credentials file that
   * only the user can read (the permissions are set before the secret is written), so other clients
   * — the aws CLI, a stage started from another shell — can use the store.
   */
  public void writeCredentials(Path file) {
    try {
      Files.deleteIfExists(
          file); // an existing file keeps its permissions; start from an owner-only one
      if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createFile(file);
      }
      Files.writeString(
          file,
          "[default]\naws_access_key_id="
              + accessKey
              + "\naws_secret_access_key="
              + secretKey
              + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the S3 credentials file " + file, e);
    }
  }

  /** Stops S3Proxy, keeping the objects; clients see it as unreachable until {@link #start()}. */
  public synchronized void stop() {
    if (proxy == null) {
      return;
    }
    try {
      proxy.stop();
      log.info("S3 (S3Proxy) at {} stopped", endpoint);
    } catch (Exception e) {
      log.warn("S3Proxy did not stop cleanly: {}", e.toString());
    }
    proxy = null;
  }

  public String endpoint() {
    return endpoint;
  }

  @Override
  public void close() {
    stop();
  }
}
