package io.memescope.core.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.image.NativeCodecs;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** What happens to each kind of bad input: a clear reason, never a crash. */
class ImageDecoderTest {
  private final ImageDecoder decoder = new ImageDecoder(10_000_000);

  /**
   * An animated WebP of two 48 x 32 frames (red, then green, each with a white square), lossless,
   * made with Pillow 12: {@code frames[0].save(..., save_all=True, append_images=frames[1:])}.
   */
  private static final String ANIMATED_WEBP =
      "UklGRuAAAABXRUJQVlA4WAoAAAASAAAALwAAHwAAQU5JTQYAAAAAAAAAAABBTk1GSAAAAAAAAAAAAC8AAB8AAMgAAA"
          + "JWUDhMMAAAAC8vwAcAD3CP8N8g3yN8/kMLatpGksxk+bNbBtt+d31E/wcCAAAgK74AAAAAAED7B0FOTUZkAAAA"
          + "AAAAAAAALwAAHwAAyAAAAFZQOExLAAAALy/ABxAXIBZMZpX/F6JAIIlkf61NBAJJJPtrbTL/AdceFLWN5OxegW"
          + "gSh+x0VOs3ov8TAQAAAAAAgB5zjW8AAAAAAAAAAAAAdiQCAA==";

  @Test
  void an_animated_webp_gives_its_first_frame() throws Exception {
    // libwebp's ImageIO reader refuses animation; it was then rejected as corrupt, though
    // animated WebP is common for memes and Pillow (what the model saw) reads its first frame.
    PilImage image = decoder.decode(java.util.Base64.getDecoder().decode(ANIMATED_WEBP));
    assertThat(new int[] {image.width(), image.height()}).containsExactly(48, 32);
    int[] rgb = image.toRgb();
    int at = (25 * 48 + 30) * 3; // outside the white square: the first frame's red
    assertThat(new int[] {rgb[at], rgb[at + 1], rgb[at + 2]}).containsExactly(200, 30, 30);
  }

  @Test
  void images_read_through_imageio_leave_no_temporary_files() throws Exception {
    // ImageIO caches streams in files by default: two per GIF, WebP, BMP or rotated JPEG.
    java.nio.file.Path tmp = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
    java.util.function.Supplier<Long> cached =
        () -> {
          try (var files = java.nio.file.Files.list(tmp)) {
            return files.filter(f -> f.getFileName().toString().startsWith("imageio")).count();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        };
    BufferedImage image = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
    byte[] gif = encode(image, "gif"); // (the test's own ImageIO.write caches in files)
    byte[] bmp = encode(image, "bmp");
    long before = cached.get();
    java.util.List<java.nio.file.Path> seen = new java.util.ArrayList<>();
    try (var watch = tmp.getFileSystem().newWatchService()) {
      tmp.register(watch, java.nio.file.StandardWatchEventKinds.ENTRY_CREATE);
      decoder.decode(gif);
      decoder.decode(bmp);
      decoder.decode(java.util.Base64.getDecoder().decode(ANIMATED_WEBP));
      java.nio.file.WatchKey key = watch.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS);
      if (key != null) {
        key.pollEvents().stream()
            .map(e -> (java.nio.file.Path) e.context())
            .filter(f -> f.getFileName().toString().startsWith("imageio"))
            .forEach(seen::add);
      }
    }
    assertThat(seen).as("temporary files created").isEmpty();
    assertThat(cached.get()).isEqualTo(before);
  }

  @Test
  void empty_input_is_refused() {
    assertThatThrownBy(() -> decoder.decode(new byte[0]))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.EMPTY));
  }

  @Test
  void html_is_not_an_image() {
    assertThatThrownBy(() -> decoder.decode("<html><body>404</body></html>".getBytes()))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.NOT_AN_IMAGE));
  }

  @Test
  void a_bmp_holding_a_png_is_refused_before_anything_decodes_it() throws Exception {
    // Its header says 1 x 1; the JDK's reader decoded the PNG inside at its own 300 x 200, past
    // the pixel check (until 2026-12-07). Pillow does not open such a BMP either.
    byte[] inner = png(300, 200);
    java.nio.ByteBuffer bmp =
        java.nio.ByteBuffer.allocate(54 + inner.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    bmp.put((byte) 'B').put((byte) 'M').putInt(54 + inner.length).putInt(0).putInt(54);
    bmp.putInt(40).putInt(1).putInt(1).putShort((short) 1).putShort((short) 0);
    bmp.putInt(5).putInt(inner.length).putInt(2835).putInt(2835).putInt(0).putInt(0);
    bmp.put(inner);
    assertThatThrownBy(() -> decoder.decode(bmp.array()))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.UNSUPPORTED_FORMAT);
              assertThat(e).hasMessageContaining("BMP holding a JPEG or PNG");
            });
  }

  @Test
  void a_jpeg_with_bytes_after_its_end_is_decoded_by_opencv_as_without_them() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        NativeCodecs.available(), () -> "no OpenCV here: " + NativeCodecs.problem());
    // A Samsung trailer, a motion photo's video: until 2026-12-07 such a photo took ImageIO's
    // path (its colour profile applied, which Pillow ignores; no native memory reserved).
    BufferedImage image = new BufferedImage(200, 150, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 150; y++) {
      for (int x = 0; x < 200; x++) {
        image.setRGB(x, y, (x * 40) << 16 | (y * 40) << 8 | 128);
      }
    }
    byte[] plain = encode(image, "jpg");
    byte[] trailed = Arrays.copyOf(plain, plain.length + 2048);
    Arrays.fill(trailed, plain.length, trailed.length, (byte) 0x5a);
    assertThat(decoder.wellFormed(trailed)).as("OpenCV's").isNotNull();
    assertThat(decoder.decode(trailed).pixels()).isEqualTo(decoder.decode(plain).pixels());
    assertThat(decoder.wellFormed(Arrays.copyOf(plain, plain.length - 100))).isNull();
  }

  @Test
  void truncated_png_is_corrupt() throws Exception {
    byte[] png = png(64, 48);
    assertThatThrownBy(() -> decoder.decode(Arrays.copyOf(png, png.length / 2)))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.CORRUPT));
  }

  @Test
  void truncated_jpeg_is_corrupt_not_filled_with_grey() throws Exception {
    BufferedImage image = new BufferedImage(200, 150, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 150; y++) {
      for (int x = 0; x < 200; x++) {
        image.setRGB(x, y, (x ^ y) << 16 | (x * y) << 8 | (x + y));
      }
    }
    byte[] jpeg = encode(image, "jpeg");
    assertThat(decoder.decode(jpeg).width()).isEqualTo(200);
    assertThatThrownBy(() -> decoder.decode(Arrays.copyOf(jpeg, jpeg.length * 2 / 3)))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.CORRUPT))
        .hasMessageContaining("truncated");
  }

  @Test
  void a_side_longer_than_jpegs_limit_is_refused_however_few_its_pixels() throws Exception {
    // 100,000 x 1: far under the pixel limit, but the hash's filter weights grow with the side.
    BufferedImage strip = new BufferedImage(100_000, 1, BufferedImage.TYPE_INT_RGB);
    assertThatThrownBy(() -> decoder.decode(encode(strip, "png")))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.TOO_MANY_PIXELS);
              assertThat(e).hasMessageContaining("a side longer than 65535");
            });
    BufferedImage atTheLimit =
        new BufferedImage(1, ImageDecoder.MAX_SIDE, BufferedImage.TYPE_INT_RGB);
    assertThat(decoder.decode(encode(atTheLimit, "png")).height()).isEqualTo(ImageDecoder.MAX_SIDE);
  }

  @Test
  void a_decompression_bomb_is_refused_from_its_header_alone() throws Exception {
    byte[] png = png(8, 8);
    // Claim 60000 x 60000 in IHDR (with a valid CRC): 3.6 billion pixels, a few bytes of input.
    ByteBuffer buffer = ByteBuffer.wrap(png);
    buffer.putInt(16, 60_000).putInt(20, 60_000);
    CRC32 crc = new CRC32();
    crc.update(png, 12, 17);
    buffer.putInt(29, (int) crc.getValue());

    assertThatThrownBy(() -> decoder.decode(png))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.TOO_MANY_PIXELS);
              assertThat(e.getMessage()).contains("60000x60000");
            });
  }

  @Test
  void modes_follow_pillow() throws Exception {
    assertThat(decoder.decode(png(4, 3)).mode()).isEqualTo("RGB");
    BufferedImage grey = new BufferedImage(4, 3, BufferedImage.TYPE_BYTE_GRAY);
    grey.getRaster().setSample(1, 1, 0, 77);
    PilImage pil = decoder.decode(encode(grey, "png"));
    assertThat(pil.mode()).isEqualTo("L");
    assertThat(pil.samples()[1 * 4 + 1]).as("grey samples are not gamma-converted").isEqualTo(77);
    BufferedImage argb = new BufferedImage(4, 3, BufferedImage.TYPE_INT_ARGB);
    argb.setRGB(0, 0, 0x80112233);
    PilImage rgba = decoder.decode(encode(argb, "png"));
    assertThat(rgba.mode()).isEqualTo("RGBA");
    assertThat(Arrays.copyOf(rgba.samples(), 4)).containsExactly(0x11, 0x22, 0x33, 0x80);
    assertThat(decoder.decode(encode(argb, "gif")).mode()).isEqualTo("P");
  }

  @Test
  void orientation_six_turns_the_image_clockwise() {
    // 2x1: [a b] rotated 90 degrees clockwise is a 1x2 column [a; b].
    PilImage in = PilImage.ofSamples("L", 2, 1, new int[] {10, 20}, null);
    PilImage out = Orientation.apply(in, 6);
    assertThat(out.width()).isEqualTo(1);
    assertThat(out.height()).isEqualTo(2);
    assertThat(out.samples()).containsExactly(10, 20);
    PilImage ccw = Orientation.apply(in, 8);
    assertThat(ccw.samples()).containsExactly(20, 10);
  }

  @Test
  void interleaved_colour_images_read_from_the_buffer_give_what_get_rgb_gives() throws Exception {
    java.util.Random random = new java.util.Random(7);
    for (int type : new int[] {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR}) {
      BufferedImage image = new BufferedImage(37, 23, type);
      for (int y = 0; y < 23; y++) {
        for (int x = 0; x < 37; x++) {
          image.setRGB(x, y, random.nextInt());
        }
      }
      // the whole image, and a sub-image whose raster starts inside its parent's buffer
      for (BufferedImage im : new BufferedImage[] {image, image.getSubimage(5, 3, 20, 17)}) {
        boolean alpha = type == BufferedImage.TYPE_4BYTE_ABGR;
        byte[] direct = ImageDecoder.interleavedSrgb(im, alpha ? 4 : 3);
        assertThat(direct).isNotNull();
        assertThat(unsigned(direct)).containsExactly(viaGetRgb(im, alpha));
      }
    }
    // what the readers give: a JPEG (3-byte BGR) and an RGBA PNG
    BufferedImage photo = new BufferedImage(64, 40, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < 40; y++) {
      for (int x = 0; x < 64; x++) {
        photo.setRGB(x, y, (x * 4 + y) << 24 | (x * 4) << 16 | (y * 6) << 8 | (x ^ y));
      }
    }
    BufferedImage rgb = new BufferedImage(64, 40, BufferedImage.TYPE_INT_RGB);
    rgb.getGraphics().drawImage(photo, 0, 0, null);
    for (byte[] file : new byte[][] {encode(rgb, "jpeg"), encode(photo, "png")}) {
      BufferedImage read = ImageIO.read(new java.io.ByteArrayInputStream(file));
      boolean alpha = read.getColorModel().hasAlpha();
      assertThat(ImageDecoder.interleavedSrgb(read, alpha ? 4 : 3))
          .containsExactly(viaGetRgb(read, alpha));
      assertThat(decoder.decode(file).samples()).containsExactly(viaGetRgb(read, alpha));
    }
    // anything else is left to getRGB
    assertThat(ImageDecoder.interleavedSrgb(rgb, 3)).isNull();
  }

  @Test
  void opencv_and_imageio_give_the_same_samples_and_modes() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        NativeCodecs.available(), () -> "no OpenCV here: " + NativeCodecs.problem());
    ImageDecoder javaOnly = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, false);
    java.util.Random random = new java.util.Random(11);
    BufferedImage colour = new BufferedImage(97, 61, BufferedImage.TYPE_INT_ARGB);
    BufferedImage grey = new BufferedImage(97, 61, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 61; y++) {
      for (int x = 0; x < 97; x++) {
        // smooth gradients with noise and a hard edge: what JPEG's IDCT and upsampling round
        int noise = random.nextInt(24);
        int argb = (x * 2 + y) << 24 | (x * 2 + noise) << 16 | (y * 4) << 8 | (x > 40 ? 230 : 20);
        colour.setRGB(x, y, argb);
        grey.getRaster().setSample(x, y, 0, (x * 2 + noise) & 0xff);
      }
    }
    BufferedImage opaque = new BufferedImage(97, 61, BufferedImage.TYPE_INT_RGB);
    opaque.getGraphics().drawImage(colour, 0, 0, null);
    Object[][] files = {
      {encode(opaque, "png"), "RGB"},
      {encode(colour, "png"), "RGBA"},
      {encode(grey, "png"), "L"},
      {encode(opaque, "jpeg"), "RGB"},
      {encode(grey, "jpeg"), "L"},
    };
    for (Object[] file : files) {
      byte[] bytes = (byte[]) file[0];
      PilImage fast = decoder.decode(bytes);
      PilImage slow = javaOnly.decode(bytes);
      assertThat(fast.mode()).isEqualTo(file[1]);
      assertThat(slow.mode()).isEqualTo(file[1]);
      assertThat(fast.width()).isEqualTo(97);
      assertThat(fast.height()).isEqualTo(61);
      assertThat(fast.samples()).as("samples of a %s", file[1]).containsExactly(slow.samples());
      PilImage fallback = decoder.decodeWithoutNatives(bytes, mode -> 0, image -> image);
      assertThat(fallback.mode()).isEqualTo(file[1]);
      assertThat(fallback.samples()).containsExactly(slow.samples());
    }
  }

  @Test
  void a_jpeg_bomb_is_refused_from_its_header_before_opencv_sees_it() throws Exception {
    BufferedImage small = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    byte[] jpeg = encode(small, "jpeg");
    int sof = 2;
    while (!((jpeg[sof] & 0xff) == 0xff && (jpeg[sof + 1] & 0xff) == 0xc0)) {
      sof++;
    }
    // SOF0: marker, length (2), precision (1), height (2), width (2); the file still ends in EOI
    ByteBuffer.wrap(jpeg).putShort(sof + 5, (short) 65_000).putShort(sof + 7, (short) 65_000);
    assertThat(jpeg[jpeg.length - 1] & 0xff).isEqualTo(0xd9);
    assertThatThrownBy(() -> decoder.decode(jpeg))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.TOO_MANY_PIXELS);
              assertThat(e.getMessage()).contains("65000x65000");
            });
  }

  @Test
  void a_jpeg_that_hides_its_real_size_from_lenient_header_readers_is_still_refused()
      throws Exception {
    // A real 4000x4000 JPEG with RST0 between SOI and its frame, and a comment right after the
    // frame holding a fake 50x50 frame (metadata-extractor reads that one). With a limit of
    // 10,000 pixels the decoder must refuse it from the header, not decode 16 million pixels.
    BufferedImage big = new BufferedImage(4000, 4000, BufferedImage.TYPE_BYTE_GRAY);
    byte[] plain = encode(big, "jpeg");
    ByteArrayOutputStream crafted = new ByteArrayOutputStream();
    crafted.write(plain, 0, 2); // SOI
    crafted.write(new byte[] {(byte) 0xff, (byte) 0xd0}); // RST0, no length
    crafted.write(plain, 2, plain.length - 2);
    ImageDecoder strict = new ImageDecoder(10_000);
    assertThatThrownBy(() -> strict.decode(crafted.toByteArray()))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.TOO_MANY_PIXELS));
    assertThat(strict.wellFormed(crafted.toByteArray())).as("not for OpenCV").isNull();
  }

  @Test
  void an_animated_png_gives_its_still_image_as_pillow_does() throws Exception {
    // An APNG whose IDAT still image is red and whose animation frames are green and blue:
    // OpenCV would give the green frame, Pillow (and ImageIO) the red still image.
    BufferedImage red = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
    BufferedImage green = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        red.setRGB(x, y, 0xff0000);
        green.setRGB(x, y, 0x00ff00);
      }
    }
    byte[] still = encode(red, "png");
    byte[] frame = encode(green, "png");
    byte[] apng = apng(still, frame);
    PilImage decoded = decoder.decode(apng);
    assertThat(Arrays.copyOf(decoded.samples(), 3)).containsExactly(255, 0, 0);
    assertThat(decoder.wellFormed(apng)).isNull();
  }

  /** The still image, then two animation frames (green, then blue) that are not it. */
  private static byte[] apng(byte[] still, byte[] green) throws Exception {
    BufferedImage blueImage = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        blueImage.setRGB(x, y, 0x0000ff);
      }
    }
    byte[] blue = encode(blueImage, "png");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(still, 0, 33); // signature and IHDR
    out.write(chunk("acTL", ByteBuffer.allocate(8).putInt(2).putInt(0).array()));
    out.write(chunk("IDAT", idat(still))); // before any fcTL: not part of the animation
    int sequence = 0;
    for (byte[] frame : new byte[][] {green, blue}) {
      out.write(
          chunk(
              "fcTL",
              ByteBuffer.allocate(26)
                  .putInt(sequence++)
                  .putInt(4)
                  .putInt(4)
                  .putInt(0)
                  .putInt(0)
                  .putShort((short) 1)
                  .putShort((short) 10)
                  .put((byte) 0)
                  .put((byte) 0)
                  .array()));
      byte[] data = idat(frame);
      out.write(
          chunk("fdAT", ByteBuffer.allocate(4 + data.length).putInt(sequence++).put(data).array()));
    }
    out.write(chunk("IEND", new byte[0]));
    return out.toByteArray();
  }

  /** The compressed image data of a PNG (its IDAT chunks' contents, joined). */
  private static byte[] idat(byte[] png) {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    ByteBuffer in = ByteBuffer.wrap(png);
    for (int at = 8; at < png.length; ) {
      int length = in.getInt(at);
      if (new String(png, at + 4, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("IDAT")) {
        data.write(png, at + 8, length);
      }
      at += 12 + length;
    }
    return data.toByteArray();
  }

  private static byte[] chunk(String type, byte[] data) {
    byte[] typeBytes = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    return ByteBuffer.allocate(12 + data.length)
        .putInt(data.length)
        .put(typeBytes)
        .put(data)
        .putInt((int) crc.getValue())
        .array();
  }

  @Test
  void a_png_whose_text_chunk_inflates_to_gigabytes_costs_no_memory_and_keeps_its_orientation()
      throws Exception {
    // A 4x2 PNG with an eXIf chunk (Orientation 6) and a zTXt chunk of 256 KiB that inflates to
    // 256 MiB of zeros. metadata-extractor's generic reader, used for the orientation until
    // 2026-12-06, inflated every text chunk without a limit, before the pixel check and outside
    // the decode budget: a 16 MiB file could ask for gigabytes. Only the EXIF block is read now.
    byte[] plain = png(4, 2);
    byte[] text = zeros("Comment", 256 << 20);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(plain, 0, 33); // signature and IHDR
    out.write(chunk("zTXt", text));
    out.write(chunk("eXIf", orientation6Tiff()));
    out.write(plain, 33, plain.length - 33);
    byte[] bomb = out.toByteArray();
    assertThat(bomb.length).isLessThan(1 << 20);
    var threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    for (ImageDecoder each : new ImageDecoder[] {decoder, new ImageDecoder(10_000_000, false)}) {
      each.decode(plain); // classes loaded and codecs warmed before counting
      long before = threads.getThreadAllocatedBytes(thread);
      each.checkFits(bomb, mode -> 0);
      PilImage image = each.decode(bomb);
      long allocated = threads.getThreadAllocatedBytes(thread) - before;
      assertThat(new int[] {image.width(), image.height()})
          .as("turned upright by the eXIf chunk")
          .containsExactly(2, 4);
      assertThat(allocated).as("bytes allocated to check and decode it").isLessThan(32L << 20);
    }
    // With JPEG's "Exif\0\0" before the TIFF header, Pillow finds no TIFF header in eXIf: as
    // stored.
    ByteArrayOutputStream preamble = new ByteArrayOutputStream();
    preamble.write(plain, 0, 33);
    preamble.write(
        chunk("eXIf", concat(new byte[] {'E', 'x', 'i', 'f', 0, 0}, orientation6Tiff())));
    preamble.write(plain, 33, plain.length - 33);
    assertThat(ExifOrientation.of(preamble.toByteArray())).isEqualTo(1);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** A zTXt chunk's data: {@code keyword}, then {@code size} zeros, deflated. */
  private static byte[] zeros(String keyword, int size) {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    data.writeBytes(keyword.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    data.write(0); // end of keyword
    data.write(0); // compression method: deflate
    java.util.zip.Deflater deflater = new java.util.zip.Deflater(9);
    byte[] block = new byte[1 << 20];
    byte[] buffer = new byte[1 << 16];
    for (int done = 0; done < size; done += block.length) {
      deflater.setInput(block);
      while (!deflater.needsInput()) {
        data.write(buffer, 0, deflater.deflate(buffer));
      }
    }
    deflater.finish();
    while (!deflater.finished()) {
      data.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    return data.toByteArray();
  }

  /** A big-endian TIFF header with one IFD entry: Orientation (0x0112), SHORT, value 6. */
  private static byte[] orientation6Tiff() {
    return ByteBuffer.allocate(26)
        .put(new byte[] {'M', 'M', 0, 42})
        .putInt(8) // first IFD
        .putShort((short) 1)
        .putShort((short) 0x0112)
        .putShort((short) 3)
        .putInt(1)
        .putShort((short) 6)
        .putShort((short) 0)
        .putInt(0) // no next IFD
        .array();
  }

  @Test
  void a_png_that_opencv_refuses_is_explained_by_imageio() throws Exception {
    byte[] png = png(64, 48);
    PngHeader header = PngHeader.read(png);
    assertThat(header.complete()).isTrue();
    // Scramble the compressed image data (IDAT starts after the 8-byte signature and 25-byte
    // IHDR, 8 bytes of length and type): the file still ends in IEND, so OpenCV gets it first.
    for (int i = 33 + 8 + 2; i < 33 + 8 + 30; i++) {
      png[i] ^= 0x5a;
    }
    assertThatThrownBy(() -> decoder.decode(png))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.CORRUPT));
  }

  private static int[] viaGetRgb(BufferedImage image, boolean alpha) {
    int w = image.getWidth();
    int h = image.getHeight();
    int b = alpha ? 4 : 3;
    int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
    int[] out = new int[w * h * b];
    for (int i = 0; i < argb.length; i++) {
      out[i * b] = (argb[i] >> 16) & 0xff;
      out[i * b + 1] = (argb[i] >> 8) & 0xff;
      out[i * b + 2] = argb[i] & 0xff;
      if (alpha) {
        out[i * b + 3] = argb[i] >>> 24;
      }
    }
    return out;
  }

  private static byte[] png(int w, int h) throws Exception {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, (x * 40) << 16 | (y * 40) << 8 | 128);
      }
    }
    return encode(image, "png");
  }

  private static byte[] encode(BufferedImage image, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, format, out)).isTrue();
    return out.toByteArray();
  }

  private static int[] unsigned(byte[] bytes) {
    int[] out = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = bytes[i] & 0xff;
    }
    return out;
  }
}
