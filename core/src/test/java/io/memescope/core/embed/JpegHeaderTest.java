package io.memescope.core.embed;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class JpegHeaderTest {
  @Test
  void reads_the_frame_of_a_plain_jpeg() throws Exception {
    assertThat(JpegHeader.read(jpeg(BufferedImage.TYPE_INT_RGB)))
        .isEqualTo(new JpegHeader(8, 37, 21, 3, 0));
    assertThat(JpegHeader.read(jpeg(BufferedImage.TYPE_BYTE_GRAY)).components()).isEqualTo(1);
  }

  /**
   * libjpeg decodes a baseline file row by row, but holds a progressive one's coefficients whole:
   * for 1000x600 at 4:2:0, luma in 126x76 blocks (each side rounded up to its sampling factor of
   * 2), each chroma plane in 63x38, 128 bytes a block.
   */
  @Test
  void a_progressive_file_needs_its_whole_coefficient_buffer() throws Exception {
    BufferedImage image = new BufferedImage(1000, 600, BufferedImage.TYPE_INT_RGB);
    assertThat(JpegHeader.read(encode(image, false)).coefficientBytes()).isZero();
    assertThat(JpegHeader.read(encode(image, true)).coefficientBytes())
        .isEqualTo((126L * 76 + 2L * 63 * 38) * 128);
  }

  @Test
  void the_scans_end_in_eoi_whatever_follows_it_and_a_cut_file_never_does() throws Exception {
    BufferedImage image = new BufferedImage(300, 200, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 200; y++) {
      for (int x = 0; x < 300; x++) {
        image.setRGB(x, y, (x * 7) << 16 | (y * 11) << 8 | (x ^ y));
      }
    }
    for (boolean progressive : new boolean[] {false, true}) {
      byte[] plain = encode(image, progressive);
      assertThat(JpegHeader.scansEnd(plain)).as("progressive " + progressive).isTrue();
      // A phone's trailer or a motion photo's video after the EOI, EOI-like bytes and all.
      byte[] trailer = new byte[4096];
      new java.util.Random(7).nextBytes(trailer);
      trailer[100] = (byte) 0xff;
      trailer[101] = (byte) 0xd9;
      byte[] trailed = Arrays.copyOf(plain, plain.length + trailer.length);
      System.arraycopy(trailer, 0, trailed, plain.length, trailer.length);
      assertThat(JpegHeader.scansEnd(trailed)).isTrue();
      for (int cut : new int[] {plain.length - 2, plain.length / 2, 200}) {
        assertThat(JpegHeader.scansEnd(Arrays.copyOf(plain, cut))).as("cut at " + cut).isFalse();
      }
    }
    // An EOI in a segment before the scans (an EXIF thumbnail's) ends nothing.
    byte[] plain = encode(image, false);
    byte[] app1 = {
      (byte) 0xff, (byte) 0xe1, 0, 6, (byte) 0xff, (byte) 0xd9, (byte) 0xff, (byte) 0xd9
    };
    byte[] withThumb = new byte[plain.length / 2 + app1.length];
    System.arraycopy(plain, 0, withThumb, 0, 2);
    System.arraycopy(app1, 0, withThumb, 2, app1.length);
    System.arraycopy(plain, 2, withThumb, 2 + app1.length, plain.length / 2 - 2);
    assertThat(JpegHeader.scansEnd(withThumb)).isFalse();
  }

  /** A sequential file whose first scan carries luma alone is decoded from a whole buffer too. */
  @Test
  void a_first_scan_without_every_component_needs_the_whole_buffer() throws Exception {
    byte[] plain = encode(new BufferedImage(64, 32, BufferedImage.TYPE_INT_RGB), false);
    int sos = 2;
    while (!((plain[sos] & 0xff) == 0xff && (plain[sos + 1] & 0xff) == 0xda)) {
      sos += 2 + (((plain[sos + 2] & 0xff) << 8) | (plain[sos + 3] & 0xff));
    }
    byte[] lumaFirst = plain.clone();
    lumaFirst[sos + 4] = 1; // the scan header now names one component
    assertThat(JpegHeader.read(lumaFirst).coefficientBytes())
        .isEqualTo((8L * 4 + 2L * 4 * 2) * 128);
  }

  private static byte[] encode(BufferedImage image, boolean progressive) throws Exception {
    javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
    if (progressive) {
      param.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (javax.imageio.stream.ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(stream);
      writer.write(null, new javax.imageio.IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  @Test
  void a_frame_hidden_from_lenient_readers_is_not_trusted() {
    // RST0 has no length. A reader that gives it one takes the real frame's marker (FFC0) as
    // that length, jumps ahead into the comment and finds the small frame hidden there; libjpeg
    // reads the real frame, 4000x4000. This walk must not report 50x50.
    byte[] crafted =
        bytes(
            0xff, 0xd8, 0xff, 0xd0, // SOI, RST0
            0xff, 0xc0, 0x00, 0x0b, 0x08, 0x0f, 0xa0, 0x0f, 0xa0, 0x01, 0x01, 0x11, 0x00, // SOF0
            0xff, 0xfe, 0x00, 0x0d, // COM hiding a small SOF0
            0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x32, 0x00, 0x32, 0x01, 0x01, 0xff, 0xd9);
    assertThat(JpegHeader.read(crafted)).isNull();
    assertThat(JpegHeader.read(Arrays.copyOfRange(crafted, 0, 2))).isNull();
  }

  @Test
  void anything_unusual_before_the_frame_is_left_to_imageio() throws Exception {
    byte[] plain = jpeg(BufferedImage.TYPE_INT_RGB);
    byte[] garbage = new byte[plain.length + 1];
    System.arraycopy(plain, 0, garbage, 0, 2);
    garbage[2] = 0x42; // a stray byte between SOI and the first segment
    System.arraycopy(plain, 2, garbage, 3, plain.length - 2);
    assertThat(JpegHeader.read(garbage)).isNull();

    byte[] lying = plain.clone();
    lying[4] = (byte) 0xff; // the first segment's length now runs past the end
    lying[5] = (byte) 0xff;
    assertThat(JpegHeader.read(lying)).isNull();

    assertThat(JpegHeader.read(Arrays.copyOf(plain, 30))).as("cut before the frame").isNull();
    assertThat(JpegHeader.read(new byte[0])).isNull();
    assertThat(JpegHeader.read(bytes(0x89, 'P', 'N', 'G'))).isNull();
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  private static byte[] jpeg(int type) throws Exception {
    BufferedImage image = new BufferedImage(37, 21, type);
    image.setRGB(3, 4, 0xff2040);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, "jpeg", out)).isTrue();
    return out.toByteArray();
  }
}
