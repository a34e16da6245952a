package io.memescope.core.embed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Where each format keeps its orientation, and what a damaged block gives: as stored (1). */
class ExifOrientationTest {
  /** A big-endian TIFF header with one IFD entry: Orientation (0x0112), SHORT, {@code value}. */
  static byte[] tiff(int value) {
    return ByteBuffer.allocate(26)
        .put(new byte[] {'M', 'M', 0, 42})
        .putInt(8)
        .putShort((short) 1)
        .putShort((short) 0x0112)
        .putShort((short) 3)
        .putInt(1)
        .putShort((short) value)
        .putShort((short) 0)
        .putInt(0)
        .array();
  }

  private static byte[] withPreamble(byte[] tiff) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {'E', 'x', 'i', 'f', 0, 0});
    out.writeBytes(tiff);
    return out.toByteArray();
  }

  /** A WebP container: a VP8X chunk of zeros, an odd-sized chunk (padded), then EXIF. */
  private static byte[] webp(byte[] exif) {
    ByteArrayOutputStream chunks = new ByteArrayOutputStream();
    chunks.writeBytes("WEBP".getBytes(StandardCharsets.ISO_8859_1));
    chunk(chunks, "VP8X", new byte[10]);
    chunk(chunks, "XMP ", new byte[3]);
    chunk(chunks, "EXIF", exif);
    byte[] body = chunks.toByteArray();
    return ByteBuffer.allocate(8 + body.length)
        .order(ByteOrder.LITTLE_ENDIAN)
        .put("RIFF".getBytes(StandardCharsets.ISO_8859_1))
        .putInt(body.length)
        .put(body)
        .array();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    out.writeBytes(type.getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(
        ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(data.length).array());
    out.writeBytes(data);
    if ((data.length & 1) == 1) {
      out.write(0);
    }
  }

  @Test
  void a_webp_keeps_it_in_its_exif_chunk_with_or_without_the_jpeg_preamble() {
    assertThat(ExifOrientation.of(webp(tiff(6)))).isEqualTo(6);
    assertThat(ExifOrientation.of(webp(withPreamble(tiff(8))))).isEqualTo(8);
  }

  @Test
  void a_damaged_or_impossible_value_gives_the_image_as_stored() {
    assertThat(ExifOrientation.of(webp(tiff(9)))).isEqualTo(1);
    byte[] cut = webp(tiff(6));
    assertThat(ExifOrientation.of(java.util.Arrays.copyOf(cut, cut.length - 20))).isEqualTo(1);
    assertThat(ExifOrientation.of(webp(new byte[] {'M', 'M', 0, 42, 0x7f, 0, 0, 0}))).isEqualTo(1);
    assertThat(ExifOrientation.of(new byte[] {'G', 'I', 'F', '8', '9', 'a'})).isEqualTo(1);
  }
}
