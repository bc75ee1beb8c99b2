package org.lwise.stream.common;

import java.util.Locale;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * Where each output image lives in S3 and the URL experiments use for it (SPEC.md, "S3 layout").
 *
 * <p>{@code BUCKET_PER_CONDITION} (the reference's layout): bucket {@code
 * <prefix>-<dataset>-<condition id, '.'→'dot', '_'→'-'>}, key = the image's relative path,
 * identical in every bucket, so an experiment swaps conditions by swapping the bucket. {@code
 * PREFIX_PER_CONDITION}: one configured bucket, key {@code <dataset>_<condition>/<path>}.
 *
 * @param urlTemplate {@code {bucket}} and {@code {key}} are substituted. The default is the AWS
 *     virtual-hosted URL the experiment code depends on; S3Proxy/MinIO need e.g. {@code
 *     http://127.0.0.1:9000/{bucket}/{key}}.
 */
public record S3Layout(Mode mode, String bucketPrefix, String sharedBucket, String urlTemplate) {
  public static final String AWS_URL_TEMPLATE = "https://{bucket}.s3.amazonaws.com/{key}";

  public enum Mode {
    BUCKET_PER_CONDITION,
    PREFIX_PER_CONDITION
  }

  public S3Layout {
    if (mode == Mode.PREFIX_PER_CONDITION && (sharedBucket == null || sharedBucket.isBlank())) {
      throw new IllegalArgumentException("s3.layout=prefix-per-condition needs s3.bucket");
    }
    if (!urlTemplate.contains("{bucket}") || !urlTemplate.contains("{key}")) {
      throw new IllegalArgumentException(
          "s3.url.template must contain {bucket} and {key}: " + urlTemplate);
    }
  }

  /** A condition's bucket name (S3 rules: lower case, digits, '-'; at most 63 characters). */
  public String bucket(String dataset, String conditionId) {
    if (mode == Mode.PREFIX_PER_CONDITION) {
      return sharedBucket;
    }
    String name =
        (bucketPrefix.isEmpty() ? "" : bucketPrefix + "-")
            + dataset.toLowerCase(Locale.ROOT)
            + "-"
            + conditionId.toLowerCase(Locale.ROOT).replace(".", "dot").replace("_", "-");
    String cleaned = name.replaceAll("[^a-z0-9-]", "-");
    if (cleaned.length() > 63) {
      throw new IllegalArgumentException(
          "bucket name longer than S3's 63 characters: "
              + cleaned
              + " (shorten s3.bucket.prefix or the dataset name, or use s3.layout=prefix-per-condition)");
    }
    return cleaned;
  }

  /** The object key of an image: its relative path with '\' turned into '/'. */
  public String key(String dataset, String conditionId, String relativePath) {
    String path = relativePath.replace('\\', '/');
    while (path.startsWith("/")) {
      path = path.substring(1);
    }
    return mode == Mode.PREFIX_PER_CONDITION ? dataset + "_" + conditionId + "/" + path : path;
  }

  /**
   * The object's URL, its key percent-encoded as S3 expects in a path: each segment encoded (RFC
   * 3986 unreserved characters kept, a space as {@code %20}, never {@code +}), '/' kept. So {@code
   * images/Nævus 1#a?.png} becomes {@code images/N%C3%A6vus%201%23a%3F.png}; unencoded, a browser
   * would cut the URL at '#' or '?' and fetch another key. The encoder is the AWS SDK's own ({@code
   * SdkHttpUtils.urlEncodeIgnoreSlashes}, which it uses for the request path of every key), so the
   * URL names exactly the object the upload wrote.
   */
  public String url(String bucket, String key) {
    return urlTemplate
        .replace("{bucket}", bucket)
        .replace("{key}", SdkHttpUtils.urlEncodeIgnoreSlashes(key));
  }
}
