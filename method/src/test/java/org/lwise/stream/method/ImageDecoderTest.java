package org.lwise.stream.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;
import org.lwise.stream.method.ImageDecoder.UndecodableImageException;
import org.w3c.dom.Node;

/**
 * Hostile and unusual files, all generated here: each must end as {@link UndecodableImageException}
 * with a reason an operator can act on (or decode like PIL), never an OutOfMemoryError or an
 * unchecked crash that would take a caller (the worker) down.
 */
class ImageDecoderTest {
  private final ImageDecoder decoder = new ImageDecoder();

  @Test
  void shouldRefuseADecompressionBombFromItsHeaderWithoutAllocatingIt() throws Exception {
    // 100000×100000 8-bit RGB would be 30 GB; the file is a few dozen bytes.
    byte[] bomb = png(100_000, 100_000, 8, 2, zeroRows(1, 3));
    assertThat(bomb.length).isLessThan(200);
    assertThatThrownBy(() -> decoder.decode(bomb))
        .isInstanceOf(UndecodableImageException.class)
        .hasMessageContaining("PNG of 100000×100000 = 10000000000 pixels")
        .hasMessageContaining("limit of 50000000 pixels (worker.max.image.pixels)");
  }

  @Test
  void shouldRefuseAHugeButRealImageAboveTheLimit() throws Exception {
    // 8000×8000 gray zeros: a valid 64 MP image that compresses to about 64 KB.
    byte[] huge = png(8000, 8000, 8, 0, zeroRows(8000, 8000));
    assertThat(huge.length).isLessThan(200_000);
    assertThatThrownBy(() -> decoder.decode(huge))
        .isInstanceOf(UndecodableImageException.class)
        .hasMessageContaining("8000×8000 = 64000000 pixels")
        .hasMessageContaining("limit of 50000000");
  }

  @Test
  void shouldApplyTheConfiguredLimitExactly() throws Exception {
    ImageDecoder hundredPixels = new ImageDecoder(100);
    assertThat(hundredPixels.decode(png(10, 10, 8, 0, zeroRows(10, 10))).width()).isEqualTo(10);
    assertThatThrownBy(() -> hundredPixels.decode(png(10, 11, 8, 0, zeroRows(11, 10))))
        .isInstanceOf(UndecodableImageException.class)
        .hasMessageContaining("10×11 = 110 pixels")
        .hasMessageContaining("limit of 100 pixels");
  }

  @Test
  void shouldRefuseAnEmptyFile() {
    assertThatThrownBy(() -> decoder.decode(new byte[0]))
        .isInstanceOf(UndecodableImageException.class)
        .hasMessage("empty file (0 bytes)");
  }

  @Test
  void shouldRefuseTextAndShowHowItStarts() {
    byte[] text = "<html><body>404 Not Found</body></html>".getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> decoder.decode(text))
        .isInstanceOf(UndecodableImageException.class)
        .hasMessageContaining("not an image in a supported format")
        .hasMessageContaining("39 bytes starting with \"<html><body>404 …\"");
  }

  @Test
  void shouldRefuseATruncatedPng() throws Exception {
    byte[] whole = encode(noise(64, 64), "png");
    byte[] truncated = Arrays.copyOf(whole, whole.length / 2);
    assertThatThrownBy(() -> decoder.decode(truncated))
        .isInstanceOf(UndecodableImageException.class)
        .hasMessageStartingWith("truncated or corrupt PNG data (64×64)");
  }

  @Test
  void shouldRefuseATruncatedJpegLikePil() throws Exception {
    byte[] whole = encode(noise(64, 64), "jpeg");
    byte[] truncated = Arrays.copyOf(whole, whole.length / 2);
    assertThatThrownBy(() -> decoder.decode(truncated))
        .isInstanceOf(UndecodableImageException.class)
        .hasMessageStartingWith("truncated JPEG (64×64)");
  }

  @Test
  void shouldRefuseACorruptHeader() throws Exception {
    byte[] zeroWidth = png(0, 10, 8, 0, zeroRows(10, 0));
    assertThatThrownBy(() -> decoder.decode(zeroWidth))
        .isInstanceOf(UndecodableImageException.class)
        .hasMessageStartingWith("corrupt PNG header");
    byte[] jpeg = encode(noise(8, 8), "jpeg");
    byte[] garbledJpeg = Arrays.copyOf(jpeg, jpeg.length);
    Arrays.fill(
        garbledJpeg, 2, garbledJpeg.length, (byte) 0x5A); // SOI kept, everything after it garbage
    assertThatThrownBy(() -> decoder.decode(garbledJpeg))
        .isInstanceOf(UndecodableImageException.class)
        .hasMessageStartingWith("corrupt JPEG header");
  }

  @Test
  void shouldRefuseCmykJpeg() throws Exception {
    WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 8, 8, 4, null);
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      writer.write(new IIOImage(cmyk, null, null));
    } finally {
      writer.dispose();
    }
    assertThatThrownBy(() -> decoder.decode(out.toByteArray()))
        .isInstanceOf(UndecodableImageException.class)
        .hasMessage("CMYK images are not supported; convert them to RGB first");
  }

  @Test
  void shouldDecode16BitPngsByClippingGrayAndKeepingTheHighByteOfRgb() throws Exception {
    BufferedImage gray = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
    gray.getRaster().setSample(0, 0, 0, 200);
    gray.getRaster().setSample(1, 0, 0, 40000);
    RgbImage grayDecoded = decoder.decode(encode(gray, "png"));
    // PIL opens 16-bit gray as mode I and clips to 255 when converting to RGB.
    assertThat(grayDecoded.pixels()).containsExactly(200, 200, 200, 255, 255, 255);

    ComponentColorModel rgb16 =
        new ComponentColorModel(
            ColorSpace.getInstance(ColorSpace.CS_sRGB),
            false,
            false,
            Transparency.OPAQUE,
            DataBuffer.TYPE_USHORT);
    BufferedImage rgb =
        new BufferedImage(rgb16, rgb16.createCompatibleWritableRaster(1, 1), false, null);
    rgb.getRaster().setPixel(0, 0, new int[] {0x1234, 0xABCD, 0x00FF});
    assertThat(decoder.decode(encode(rgb, "png")).pixels()).containsExactly(0x12, 0xAB, 0x00);
  }

  @Test
  void shouldDecodePalettePngsThroughThePalette() throws Exception {
    IndexColorModel palette =
        new IndexColorModel(
            2, 3, new byte[] {10, 20, 30}, new byte[] {40, 50, 60}, new byte[] {70, 80, 90});
    BufferedImage indexed = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_BINARY, palette);
    indexed.getRaster().setSamples(0, 0, 3, 1, 0, new int[] {2, 0, 1});
    assertThat(decoder.decode(encode(indexed, "png")).pixels())
        .containsExactly(30, 60, 90, 10, 40, 70, 20, 50, 80);
  }

  @Test
  void shouldIgnoreAnEmbeddedIccProfileAsPilDoes() throws Exception {
    // The JDK's own linear-RGB profile: far enough from sRGB that converting through it changes
    // most values.
    byte[] profile = ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData();
    byte[] ycbcr = encode(noise(64, 48), "jpeg");
    byte[] rgbCoded = rgbCodedJpeg(noise(64, 48));
    for (byte[] untagged : List.of(ycbcr, rgbCoded)) {
      byte[] tagged = withIccProfile(untagged, profile);
      assertThat(jdkSamples(tagged))
          .as("the JDK's plain read converts through the profile (else this test shows nothing)")
          .isNotEqualTo(jdkSamples(untagged));
      RgbImage plain = decoder.decode(untagged);
      RgbImage decoded = decoder.decode(tagged);
      assertThat(decoded.width()).isEqualTo(64);
      assertThat(decoded.pixels()).isEqualTo(plain.pixels());
    }
  }

  private static BufferedImage noise(int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    Random random = new Random(7);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    return image;
  }

  private static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, format, out)).isTrue();
    return out.toByteArray();
  }

  private static int[] jdkSamples(byte[] file) throws IOException {
    Raster raster = ImageIO.read(new ByteArrayInputStream(file)).getRaster();
    return raster.getPixels(0, 0, raster.getWidth(), raster.getHeight(), (int[]) null);
  }

  /**
   * The JPEG with an APP2 ICC_PROFILE segment holding {@code profile}, put where encoders put it
   * (after SOI and the JFIF APP0 segment, if any); the entropy-coded data is unchanged.
   */
  private static byte[] withIccProfile(byte[] jpeg, byte[] profile) {
    int at = 2;
    if ((jpeg[2] & 0xFF) == 0xFF && (jpeg[3] & 0xFF) == 0xE0) {
      at += 2 + ((jpeg[4] & 0xFF) << 8 | (jpeg[5] & 0xFF));
    }
    byte[] name = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
    int length = 2 + name.length + 2 + profile.length;
    ByteBuffer out = ByteBuffer.allocate(jpeg.length + 2 + length);
    out.put(jpeg, 0, at)
        .put((byte) 0xFF)
        .put((byte) 0xE2)
        .putShort((short) length)
        .put(name)
        .put((byte) 1)
        .put((byte) 1)
        .put(profile)
        .put(jpeg, at, jpeg.length - at);
    return out.array();
  }

  /**
   * A JPEG whose components are R, G, B rather than YCbCr (Adobe APP14 marker, transform 0, no
   * JFIF).
   */
  private static byte[] rgbCodedJpeg(BufferedImage image) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      IIOMetadata metadata = writer.getDefaultImageMetadata(new ImageTypeSpecifier(image), null);
      String format = "javax_imageio_jpeg_image_1.0";
      IIOMetadataNode root = (IIOMetadataNode) metadata.getAsTree(format);
      Node variety = root.getElementsByTagName("JPEGvariety").item(0);
      while (variety.hasChildNodes()) {
        variety.removeChild(variety.getFirstChild());
      }
      IIOMetadataNode adobe = new IIOMetadataNode("app14Adobe");
      adobe.setAttribute("transform", "0");
      Node markers = root.getElementsByTagName("markerSequence").item(0);
      markers.insertBefore(adobe, markers.getFirstChild());
      metadata.setFromTree(format, root);
      writer.setOutput(stream);
      writer.write(new IIOImage(image, null, metadata));
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /**
   * Deflated scanlines of zeros: each row is a filter byte (0, none) and {@code rowBytes} zero
   * samples.
   */
  private static byte[] zeroRows(int rows, int rowBytes) throws IOException {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (DeflaterOutputStream deflate = new DeflaterOutputStream(compressed)) {
      byte[] row = new byte[rowBytes + 1];
      for (int i = 0; i < rows; i++) {
        deflate.write(row);
      }
    }
    return compressed.toByteArray();
  }

  /** A PNG written chunk by chunk, so its header can declare any size whatever the data holds. */
  private static byte[] png(int width, int height, int bitDepth, int colorType, byte[] idat)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
    DataOutputStream header = new DataOutputStream(ihdr);
    header.writeInt(width);
    header.writeInt(height);
    header.write(new byte[] {(byte) bitDepth, (byte) colorType, 0, 0, 0});
    chunk(out, "IHDR", ihdr.toByteArray());
    chunk(out, "IDAT", idat);
    chunk(out, "IEND", new byte[0]);
    return bytes.toByteArray();
  }

  private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data);
    out.writeInt(data.length);
    out.write(name);
    out.write(data);
    out.writeInt((int) crc.getValue());
  }
}
