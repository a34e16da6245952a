package io.memescope.core.embed;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What the decoder needs to know of a PNG before handing it to OpenCV: IHDR's fields, whether a
 * tRNS chunk comes before the image data (a transparent colour, which Pillow keeps as such and
 * libpng turns into an alpha channel), whether an acTL chunk makes it an animated PNG (OpenCV gives
 * the first animation frame, Pillow and ImageIO the still image in IDAT), and whether the file ends
 * with its IEND chunk (a truncated file does not). Chunk lengths are walked, not trusted: a length
 * that runs past the end stops the walk.
 *
 * @param colourType IHDR's colour type: 0 grey, 2 RGB, 3 palette, 4 grey and alpha, 6 RGBA
 */
record PngHeader(
    int width,
    int height,
    int bitDepth,
    int colourType,
    boolean transparencyChunk,
    boolean animated,
    boolean complete) {

  static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  private static final byte[] IEND = {
    0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xae, 0x42, 0x60, (byte) 0x82
  };

  /** The header of a PNG file; null when {@code bytes} does not start with a PNG's IHDR. */
  static PngHeader read(byte[] bytes) {
    if (bytes.length < SIGNATURE.length + 25) {
      return null;
    }
    for (int i = 0; i < SIGNATURE.length; i++) {
      if (bytes[i] != SIGNATURE[i]) {
        return null;
      }
    }
    ByteBuffer in = ByteBuffer.wrap(bytes); // big-endian, as PNG is
    if (in.getInt(8) != 13 || !"IHDR".equals(type(bytes, 12))) {
      return null;
    }
    int width = in.getInt(16);
    int height = in.getInt(20);
    int bitDepth = bytes[24] & 0xff;
    int colourType = bytes[25] & 0xff;
    if (width <= 0 || height <= 0) {
      return null; // zero, or past 2^31 (PNG allows it): ImageIO's path judges such files
    }
    boolean transparency = false;
    boolean animated = false;
    long at = 8;
    while (at + 8 <= bytes.length) {
      long length = in.getInt((int) at) & 0xffffffffL;
      String type = type(bytes, (int) at + 4);
      if (type.equals("tRNS")) {
        transparency = true;
      }
      if (type.equals("acTL")) {
        animated = true;
      }
      if (type.equals("IDAT") || at + 12 + length > bytes.length) {
        break;
      }
      at += 12 + length;
    }
    boolean complete = bytes.length >= IEND.length;
    for (int i = 0; complete && i < IEND.length; i++) {
      complete = bytes[bytes.length - IEND.length + i] == IEND[i];
    }
    return new PngHeader(width, height, bitDepth, colourType, transparency, animated, complete);
  }

  private static String type(byte[] bytes, int at) {
    return new String(bytes, at, 4, StandardCharsets.ISO_8859_1);
  }
}
