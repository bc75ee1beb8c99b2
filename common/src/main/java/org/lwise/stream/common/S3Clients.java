package org.lwise.stream.common;

import java.net.URI;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;

/**
 * Builds the S3 client from the connection settings. Credentials come from the SDK's default
 * provider chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, aws.accessKeyId system property,
 * ~/.aws profile, instance role) — never from our configuration files.
 */
public final class S3Clients {
  private S3Clients() {}

  public static S3AsyncClient create(ConnectionConfig config, int maxConcurrency) {
    S3AsyncClientBuilder builder = S3AsyncClient.builder()
        .region(Region.of(config.s3Region()))
        .forcePathStyle(config.s3PathStyle())
        // Each upload sends Content-MD5 anyway; the extra CRC32 costs ~1.6x throughput here.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(maxConcurrency));
    if (!config.s3Endpoint().isBlank()) {
      builder.endpointOverride(URI.create(config.s3Endpoint()));
    }
    return builder.build();
  }
}
