package io.memescope.core.embed;

/**
 * A JPEG's frame header (SOFn) as libjpeg will find it, for the decoder's check before OpenCV sees
 * the file. The walk reads marker segments from SOI the way libjpeg does, and gives up (null:
 * ImageIO's path decides) on anything a plain file does not have before its frame: bytes between
 * segments, markers without a length (RSTn, TEM, a second SOI, EOI), a scan, or a length that runs
 * past the end. A lenient reader such as metadata-extractor gives RSTn a length, so a crafted file
 * could show it a small frame hidden in a comment while libjpeg decodes a huge one; here the two
 * readings cannot differ.
 *
 * @param precision bits per sample (8 for what OpenCV decodes to 8-bit samples)
 * @param components 1 (grey), 3 (YCbCr or RGB) or 4 (CMYK, YCCK)
 */
record JpegHeader(int precision, int width, int height, int components) {

  /** The frame header; null for anything but a plain JPEG with its frame before its first scan. */
  static JpegHeader read(byte[] b) {
    if (b.length < 4 || (b[0] & 0xff) != 0xff || (b[1] & 0xff) != 0xd8) {
      return null;
    }
    int at = 2;
    while (at + 4 <= b.length) {
      if ((b[at] & 0xff) != 0xff) {
        return null; // garbage between segments
      }
      int marker = b[at + 1] & 0xff;
      if (marker == 0xff) {
        at++; // a fill byte before the marker
        continue;
      }
      if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd9) || marker == 0xda) {
        return null; // no length (TEM, RSTn, SOI, EOI), or a scan before any frame
      }
      int length = u16(b, at + 2);
      if (length < 2 || at + 2 + length > b.length) {
        return null;
      }
      boolean frame =
          marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
      if (frame) {
        if (length < 8) {
          return null;
        }
        int height = u16(b, at + 5);
        int width = u16(b, at + 7);
        if (width == 0 || height == 0) {
          return null; // height from a DNL marker: libjpeg refuses it
        }
        return new JpegHeader(b[at + 4] & 0xff, width, height, b[at + 9] & 0xff);
      }
      at += 2 + length;
    }
    return null;
  }

  private static int u16(byte[] b, int at) {
    return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
  }
}
