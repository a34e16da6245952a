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
 * @param coefficientBytes what libjpeg allocates to hold the whole image's DCT coefficients, which
 *     it does for a progressive file or one whose first scan leaves out a component (then it cannot
 *     decode row by row): 128 bytes per 8x8 block of each component at its own sampling, about 3
 *     bytes a pixel for the usual 4:2:0. Zero for a file it decodes row by row.
 */
record JpegHeader(int precision, int width, int height, int components, long coefficientBytes) {

  /** The frame header; null for anything but a plain JPEG with its frame before its first scan. */
  static JpegHeader read(byte[] b) {
    if (b.length < 4 || (b[0] & 0xff) != 0xff || (b[1] & 0xff) != 0xd8) {
      return null;
    }
    int at = segment(b, 2);
    while (at >= 0 && !frame(b[at + 1] & 0xff)) {
      if ((b[at + 1] & 0xff) == 0xda) {
        return null; // a scan before any frame
      }
      at = segment(b, at + 2 + u16(b, at + 2));
    }
    if (at < 0) {
      return null;
    }
    int marker = b[at + 1] & 0xff;
    int length = u16(b, at + 2);
    if (length < 8) {
      return null;
    }
    int height = u16(b, at + 5);
    int width = u16(b, at + 7);
    if (width == 0 || height == 0) {
      return null; // height from a DNL marker: libjpeg refuses it
    }
    int components = b[at + 9] & 0xff;
    if (components == 0 || length < 8 + 3 * components) {
      return null; // libjpeg refuses a frame shorter than its components
    }
    boolean progressive = marker == 0xc2 || marker == 0xc6 || marker == 0xca || marker == 0xce;
    boolean wholeImage = progressive || firstScanComponents(b, at + 2 + length) != components;
    return new JpegHeader(
        b[at + 4] & 0xff,
        width,
        height,
        components,
        wholeImage ? coefficientBytes(b, at + 10, components, width, height) : 0);
  }

  /**
   * Whether the file's scans end in an EOI marker: walked from the first scan through the
   * entropy-coded data (stuffed bytes and restart markers) and the segments between scans, so that
   * an EOI inside a table or a thumbnail before the scans does not count, and bytes after the EOI
   * (a phone's trailer, a motion photo's video, padding) do not hide it. Until 2026-12-07 only a
   * file ending in EOI counted as complete, and such photos took ImageIO's path, which reads their
   * colour profile (Pillow does not) and reserves no native memory for a progressive decode.
   */
  static boolean scansEnd(byte[] b) {
    int at = 2;
    boolean scanned = false;
    while (at + 1 < b.length) {
      if ((b[at] & 0xff) != 0xff) {
        if (!scanned) {
          return false; // garbage before the first scan
        }
        at++; // entropy-coded data
        continue;
      }
      int marker = b[at + 1] & 0xff;
      if (marker == 0xd9) {
        return scanned;
      }
      if (marker == 0xff) {
        at++; // fill
      } else if (marker == 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01) {
        at += 2; // a stuffed 0xFF, a restart marker, TEM
      } else {
        if (at + 4 > b.length) {
          return false;
        }
        int length = u16(b, at + 2);
        if (length < 2) {
          return false;
        }
        scanned |= marker == 0xda;
        at += 2 + length; // a segment: its data is skipped, whatever bytes it holds
      }
    }
    return false;
  }

  /** Whether {@code marker} starts a frame (SOFn; not DHT, JPG or DAC, which share the range). */
  private static boolean frame(int marker) {
    return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
  }

  /**
   * Where the marker segment at or after {@code at} starts (fill bytes skipped), its length within
   * the file; -1 where the walk cannot go on: bytes between segments, a marker without a length
   * (TEM, RSTn, SOI, EOI), a length that runs past the end, or the end itself.
   */
  private static int segment(byte[] b, int at) {
    while (at + 4 <= b.length) {
      if ((b[at] & 0xff) != 0xff) {
        return -1; // garbage between segments
      }
      int marker = b[at + 1] & 0xff;
      if (marker == 0xff) {
        at++; // a fill byte before the marker
        continue;
      }
      if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
        return -1;
      }
      int length = u16(b, at + 2);
      return length < 2 || at + 2 + length > b.length ? -1 : at;
    }
    return -1;
  }

  /**
   * The number of components in the first scan from {@code at} on, or -1 when the segments up to it
   * cannot be walked (the caller then assumes the worst: a whole-image buffer).
   */
  private static int firstScanComponents(byte[] b, int at) {
    for (int s = segment(b, at); s >= 0; s = segment(b, s + 2 + u16(b, s + 2))) {
      if ((b[s + 1] & 0xff) == 0xda) {
        return s + 4 < b.length ? b[s + 4] & 0xff : -1;
      }
    }
    return -1;
  }

  /**
   * libjpeg's whole-image coefficient buffer: per component, its blocks across and down (each
   * rounded up to its sampling factor) times 64 coefficients of 2 bytes.
   */
  private static long coefficientBytes(byte[] b, int first, int components, int width, int height) {
    int maxH = 1;
    int maxV = 1;
    for (int i = 0; i < components; i++) {
      int hv = b[first + 3 * i + 1] & 0xff;
      maxH = Math.max(maxH, hv >> 4);
      maxV = Math.max(maxV, hv & 0x0f);
    }
    long bytes = 0;
    for (int i = 0; i < components; i++) {
      int hv = b[first + 3 * i + 1] & 0xff;
      int h = Math.max(1, hv >> 4);
      int v = Math.max(1, hv & 0x0f);
      long across = roundUp(ceilDiv((long) width * h, 8L * maxH), h);
      long down = roundUp(ceilDiv((long) height * v, 8L * maxV), v);
      bytes += across * down * 128;
    }
    return bytes;
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  private static long roundUp(long a, long multiple) {
    return ceilDiv(a, multiple) * multiple;
  }

  private static int u16(byte[] b, int at) {
    return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
  }
}
