package io.memescope.core.embed;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PngHeaderTest {
  @Test
  void reads_ihdr_and_sees_the_end() throws Exception {
    PngHeader header = PngHeader.read(png(BufferedImage.TYPE_INT_ARGB));
    assertThat(header).isEqualTo(new PngHeader(30, 20, 8, 6, false, false, true));
    assertThat(PngHeader.read(png(BufferedImage.TYPE_BYTE_GRAY)).colourType()).isZero();
    assertThat(PngHeader.read(png(BufferedImage.TYPE_INT_RGB)).colourType()).isEqualTo(2);
  }

  @Test
  void a_truncated_file_is_not_complete() throws Exception {
    byte[] png = png(BufferedImage.TYPE_INT_RGB);
    PngHeader cut = PngHeader.read(Arrays.copyOf(png, png.length - 20));
    assertThat(cut.width()).isEqualTo(30);
    assertThat(cut.complete()).isFalse();
  }

  @Test
  void a_trns_chunk_before_the_image_data_is_seen() throws Exception {
    byte[] png = png(BufferedImage.TYPE_INT_RGB);
    // tRNS for an RGB image: one 16-bit sample per channel, the colour shown as transparent
    byte[] withTrns = afterIhdr(png, chunk("tRNS", new byte[6]));
    assertThat(PngHeader.read(png).transparencyChunk()).isFalse();
    assertThat(PngHeader.read(withTrns).transparencyChunk()).isTrue();
    assertThat(PngHeader.read(withTrns).complete()).isTrue();
  }

  @Test
  void an_actl_chunk_marks_an_animated_png() throws Exception {
    byte[] png = png(BufferedImage.TYPE_INT_RGB);
    // acTL: number of frames, number of plays
    byte[] apng = afterIhdr(png, chunk("acTL", ByteBuffer.allocate(8).putInt(1).putInt(0).array()));
    assertThat(PngHeader.read(png).animated()).isFalse();
    assertThat(PngHeader.read(apng).animated()).isTrue();
  }

  @Test
  void anything_else_has_no_header() throws Exception {
    byte[] png = png(BufferedImage.TYPE_INT_RGB);
    assertThat(PngHeader.read(new byte[0])).isNull();
    assertThat(
            PngHeader.read(
                "<html><body>not a png at all, really</body></html>"
                    .getBytes(StandardCharsets.US_ASCII)))
        .isNull();
    byte[] wrongSignature = png.clone();
    wrongSignature[1] = 'Q';
    assertThat(PngHeader.read(wrongSignature)).isNull();
    byte[] huge = png.clone();
    ByteBuffer.wrap(huge).putInt(16, 0x8000_0000); // 2^31 wide: past an int, left to ImageIO
    assertThat(PngHeader.read(huge)).isNull();
    byte[] lyingLength = png.clone();
    ByteBuffer.wrap(lyingLength).putInt(33, Integer.MAX_VALUE); // the chunk after IHDR
    assertThat(PngHeader.read(lyingLength).complete()).isTrue();
  }

  /** A chunk: length, type, data, and a CRC of zero (the header reader does not check it). */
  private static byte[] chunk(String type, byte[] data) {
    return ByteBuffer.allocate(12 + data.length)
        .putInt(data.length)
        .put(type.getBytes(StandardCharsets.US_ASCII))
        .put(data)
        .putInt(0)
        .array();
  }

  /** {@code png} with {@code chunk} inserted right after its signature and IHDR. */
  private static byte[] afterIhdr(byte[] png, byte[] chunk) {
    byte[] out = new byte[png.length + chunk.length];
    System.arraycopy(png, 0, out, 0, 33);
    System.arraycopy(chunk, 0, out, 33, chunk.length);
    System.arraycopy(png, 33, out, 33 + chunk.length, png.length - 33);
    return out;
  }

  private static byte[] png(int type) throws Exception {
    BufferedImage image = new BufferedImage(30, 20, type);
    image.setRGB(3, 4, 0x80ff2040);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, "png", out)).isTrue();
    return out.toByteArray();
  }
}
