package org.lwise.stream.common;

import java.net.URI;
import java.nio.file.Path;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.profiles.ProfileFileSupplier;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;

/**
 * Builds the S3 client from the connection settings. Credentials come from the SDK's default
 * provider chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, aws.accessKeyId system property, ~/.aws
 * profile, instance role) — never from our configuration files — or, when {@code
 * s3.credentials.file} names one, from that shared-credentials file's {@code [default]} profile:
 * the embedded default writes its per-run keys there, so another shell's stage signs with them
 * whatever AWS_* variables that shell has.
 */
public final class S3Clients {
  private S3Clients() {}

  public static S3AsyncClient create(ConnectionConfig config, int maxConcurrency) {
    return create(config, maxConcurrency, null);
  }

  /**
   * As {@link #create(ConnectionConfig, int)}, with given credentials ({@code null}: the default
   * chain).
   */
  public static S3AsyncClient create(
      ConnectionConfig config, int maxConcurrency, AwsCredentialsProvider credentials) {
    S3AsyncClientBuilder builder =
        S3AsyncClient.builder()
            .region(Region.of(config.s3Region()))
            .forcePathStyle(config.s3PathStyle())
            // Each upload sends Content-MD5 anyway; the extra CRC32 costs ~1.6x throughput here.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(maxConcurrency))
            .overrideConfiguration(o -> o.retryStrategy(retryStrategy()));
    if (!config.s3Endpoint().isBlank()) {
      builder.endpointOverride(URI.create(config.s3Endpoint()));
    }
    if (credentials != null) {
      builder.credentialsProvider(credentials);
    } else if (!config.s3CredentialsFile().isBlank()) {
      builder.credentialsProvider(fromCredentialsFile(Path.of(config.s3CredentialsFile())));
    }
    return builder.build();
  }

  /**
   * The {@code [default]} profile of an AWS shared-credentials file, read again when the file
   * changes: a re-run of {@code lwise run} writes new keys there, and stages attached to it keep
   * working.
   */
  static AwsCredentialsProvider fromCredentialsFile(Path file) {
    return ProfileCredentialsProvider.builder()
        .profileFile(ProfileFileSupplier.reloadWhenModified(file, ProfileFile.Type.CREDENTIALS))
        .profileName("default")
        .build();
  }

  /**
   * The SDK's standard retries (throttling, 5xx, I/O errors), plus one more case: the Netty
   * client's "Duplicate handler name: HttpStreamsClientHandler#0-body-subscriber"
   * (aws/aws-sdk-java-v2#1903, still in 2.57.8). When a response completes before the client has
   * finished its own bookkeeping of the request body, the connection goes back to the pool with the
   * previous request's body-subscriber handler still in its pipeline, and the next request on it
   * fails while adding its own. That connection is closed on the failure, so another attempt (on
   * another connection) succeeds; without this the SDK treats the IllegalArgumentException as
   * final, and it once ended an uploader run at 33 of 1,000 images.
   */
  static RetryStrategy retryStrategy() {
    return AwsRetryStrategy.standardRetryStrategy().toBuilder()
        .retryOnException(S3Clients::isStalePipelineHandler)
        .build();
  }

  static boolean isStalePipelineHandler(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IllegalArgumentException
          && t.getMessage() != null
          && t.getMessage().startsWith("Duplicate handler name")) {
        return true;
      }
    }
    return false;
  }
}
