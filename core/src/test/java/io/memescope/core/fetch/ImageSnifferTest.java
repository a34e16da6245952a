package io.memescope.core.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageSnifferTest {
  static byte[] encode(String format) throws Exception {
    BufferedImage image = new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB);
    image.setRGB(1, 1, 0xff8800);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, format, out)).isTrue();
    return out.toByteArray();
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"png", "jpeg", "gif", "bmp"})
  void recognises_what_imageio_writes(String format) throws Exception {
    assertThat(ImageSniffer.format(encode(format))).contains(format);
  }

  @Test
  void recognises_webp_by_its_riff_header() {
    byte[] webp = ascii("RIFF\u0024\u0000\u0000\u0000WEBPVP8 ");
    assertThat(ImageSniffer.format(webp)).contains("webp");
    assertThat(ImageSniffer.format(ascii("RIFF\u0024\u0000\u0000\u0000WAVEfmt "))).isEmpty();
  }

  @Test
  void bm_alone_is_not_a_bitmap() {
    assertThat(ImageSniffer.format(ascii("BMW owners club newsletter"))).isEmpty();
  }

  @Test
  void short_or_empty_heads_are_nothing() {
    assertThat(ImageSniffer.format(new byte[0])).isEmpty();
    assertThat(ImageSniffer.format(new byte[] {(byte) 0xFF, (byte) 0xD8})).isEmpty();
    assertThat(ImageSniffer.looksLikeMarkupOrSvg(new byte[0])).isFalse();
    assertThat(ImageSniffer.unsupportedFormat(new byte[0])).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "<!DOCTYPE html><html><body>gone</body></html>",
        "\n\n   <html lang=en>",
        "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>",
        "<!-- a comment --><head><title>x</title></head>",
        "\uFEFF<html>"
      })
  void html_and_xml_are_markup_but_not_svg(String text) {
    byte[] head = text.getBytes(StandardCharsets.UTF_8);
    assertThat(ImageSniffer.looksLikeMarkupOrSvg(head)).isTrue();
    assertThat(ImageSniffer.looksLikeSvg(head)).isFalse();
    assertThat(ImageSniffer.unsupportedFormat(head)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\"/>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\">",
        "<?xml version=\"1.0\"?><!-- made by hand --><!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\""
            + " \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\"><svg>",
        "<!DOCTYPE foo [ <!ENTITY a \"b\"> ]><svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\">",
        "\uFEFF  \r\n<SVG>"
      })
  void svg_is_markup_and_an_unsupported_format(String text) {
    byte[] head = text.getBytes(StandardCharsets.UTF_8);
    assertThat(ImageSniffer.looksLikeMarkupOrSvg(head)).isTrue();
    assertThat(ImageSniffer.looksLikeSvg(head)).isTrue();
    assertThat(ImageSniffer.unsupportedFormat(head)).contains("svg");
  }

  @Test
  void svg_in_utf16_is_recognised() {
    byte[] head = "\uFEFF<svg/>".getBytes(StandardCharsets.UTF_16BE);
    assertThat(ImageSniffer.looksLikeSvg(head)).isTrue();
  }

  @Test
  void text_and_binary_are_not_markup() {
    assertThat(ImageSniffer.looksLikeMarkupOrSvg(ascii("{\"error\": \"not found\"}"))).isFalse();
    assertThat(ImageSniffer.looksLikeMarkupOrSvg(ascii("a < b"))).isFalse();
    assertThat(ImageSniffer.looksLikeMarkupOrSvg(ascii("< 3"))).isFalse();
    assertThat(ImageSniffer.looksLikeMarkupOrSvg(ascii("%PDF-1.7"))).isFalse();
  }

  @Test
  void names_image_formats_we_refuse() {
    assertThat(ImageSniffer.unsupportedFormat(ascii("II*\u0000\u0008\u0000"))).contains("tiff");
    assertThat(ImageSniffer.unsupportedFormat(ascii("MM\u0000*\u0000\u0000"))).contains("tiff");
    assertThat(ImageSniffer.unsupportedFormat(ascii("\u0000\u0000\u0000\u001cftypavif")))
        .contains("avif");
    assertThat(ImageSniffer.unsupportedFormat(ascii("\u0000\u0000\u0000\u0018ftypheic")))
        .contains("heif");
    assertThat(ImageSniffer.unsupportedFormat(new byte[] {(byte) 0xFF, 0x0A, (byte) 0xFA}))
        .contains("jxl");
    assertThat(ImageSniffer.unsupportedFormat(ascii("8BPS\u0000\u0001"))).contains("psd");
  }

  @Test
  void a_video_is_neither_image_nor_refused_image_format() {
    byte[] mp4 = ascii("\u0000\u0000\u0000\u0020ftypisom\u0000\u0000\u0002\u0000");
    assertThat(ImageSniffer.format(mp4)).isEmpty();
    assertThat(ImageSniffer.unsupportedFormat(mp4)).isEmpty();
    assertThat(ImageSniffer.looksLikeMarkupOrSvg(mp4)).isFalse();
  }
}
