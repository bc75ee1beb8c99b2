package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class S3LayoutTest {
  private final S3Layout reference =
      new S3Layout(S3Layout.Mode.BUCKET_PER_CONDITION, "morgan", "", S3Layout.AWS_URL_TEMPLATE);

  @Test
  void shouldNameBucketsAsTheExperimentsExpect() {
    assertThat(reference.bucket("HAM10000", "8_0.5_16_logit_diverge"))
        .isEqualTo("morgan-ham10000-8-0dot5-16-logit-diverge");
    assertThat(reference.bucket("HAM10000", "0.25_0.5_1_logit_diverge"))
        .isEqualTo("morgan-ham10000-0dot25-0dot5-1-logit-diverge");
    assertThat(reference.bucket("HAM10000", Conditions.NATURAL))
        .isEqualTo("morgan-ham10000-natural");
  }

  @Test
  void shouldKeepTheImagePathAsKeyInEveryBucket() {
    assertThat(reference.key("HAM10000", "8_0.5_16_logit_diverge", "images\\nv\\ISIC_1.jpg"))
        .isEqualTo("images/nv/ISIC_1.jpg");
    assertThat(reference.key("HAM10000", Conditions.NATURAL, "images/nv/ISIC_1.jpg"))
        .isEqualTo("images/nv/ISIC_1.jpg");
  }

  @Test
  void shouldWriteTheAwsUrlShapeTheExperimentCodeSwapsBucketsIn() {
    String bucket = reference.bucket("HAM10000", "8_0.5_16_logit_diverge");
    assertThat(reference.url(bucket, "images/nv/ISIC_1.jpg"))
        .isEqualTo(
            "https://morgan-ham10000-8-0dot5-16-logit-diverge.s3.amazonaws.com/images/nv/ISIC_1.jpg");
  }

  @Test
  void shouldUseOneBucketWithConditionPrefixesWhenAsked() {
    S3Layout prefixes =
        new S3Layout(
            S3Layout.Mode.PREFIX_PER_CONDITION,
            "x",
            "lab-bucket",
            "http://minio:9000/{bucket}/{key}");
    assertThat(prefixes.bucket("HAM10000", "1_0.5_2_logit")).isEqualTo("lab-bucket");
    assertThat(prefixes.key("HAM10000", "1_0.5_2_logit", "a/b.png"))
        .isEqualTo("HAM10000_1_0.5_2_logit/a/b.png");
    assertThat(prefixes.url("lab-bucket", "k.png")).isEqualTo("http://minio:9000/lab-bucket/k.png");
  }

  @Test
  void shouldRefuseBucketNamesS3WouldReject() {
    S3Layout longPrefix =
        new S3Layout(
            S3Layout.Mode.BUCKET_PER_CONDITION,
            "a-very-long-bucket-prefix-for-a-lab",
            "",
            S3Layout.AWS_URL_TEMPLATE);
    assertThatThrownBy(() -> longPrefix.bucket("ImageNet16", "20_0.5_40_cross_entropy_attack"))
        .hasMessageContaining("63 characters");
    assertThatThrownBy(
            () ->
                new S3Layout(S3Layout.Mode.BUCKET_PER_CONDITION, "p", "", "https://example/{key}"))
        .hasMessageContaining("{bucket}");
  }

  @Test
  void shouldPercentEncodeEachSegmentOfTheKeyInUrls() {
    assertThat(reference.url("morgan-ham10000-natural", "images/Nævus 1#a?.png"))
        .isEqualTo(
            "https://morgan-ham10000-natural.s3.amazonaws.com/images/N%C3%A6vus%201%23a%3F.png");
    S3Layout embedded =
        new S3Layout(
            S3Layout.Mode.BUCKET_PER_CONDITION,
            "lwise",
            "",
            "http://127.0.0.1:9000/{bucket}/{key}");
    assertThat(embedded.url("lwise-ham-natural", "a b/100%+1&x=y;z@w,$!'()*:[]/c.png"))
        .isEqualTo(
            "http://127.0.0.1:9000/lwise-ham-natural/a%20b/100%25%2B1%26x%3Dy%3Bz%40w%2C%24%21%27%28%29%2A%3A%5B%5D/c.png");
  }

  @Test
  void shouldKeepUnreservedCharactersAndSlashesOfKeysAsTheyAre() {
    String plain = "images/nv/ISIC_0024306-a.b~c.JPG";
    assertThat(reference.url("b", plain)).isEqualTo("https://b.s3.amazonaws.com/" + plain);
    assertThat(reference.url("b", "日本/画像.png"))
        .isEqualTo("https://b.s3.amazonaws.com/%E6%97%A5%E6%9C%AC/%E7%94%BB%E5%83%8F.png");
  }
}
