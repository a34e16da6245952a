package io.memescope.core.embed;

import com.drew.imaging.jpeg.JpegMetadataReader;
import com.drew.lang.ByteArrayReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import com.drew.metadata.exif.ExifReader;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The EXIF orientation of an image file, read where {@code ImageOps.exif_transpose} finds it: a
 * JPEG's APP1 segment, a PNG's {@code eXIf} chunk, a WebP's {@code EXIF} chunk. GIF and BMP carry
 * none.
 *
 * <p>Only the EXIF block is parsed, never the rest of the file's metadata. metadata-extractor's
 * generic reader inflates every compressed PNG text chunk ({@code zTXt}, {@code iTXt}) and colour
 * profile ({@code iCCP}) without a limit, so a 1x1 PNG of a few megabytes could make it allocate
 * gigabytes before the decoder's pixel check and outside its memory budget. The blocks read here
 * are slices of the file, so reading one costs at most the file's size.
 */
final class ExifOrientation {

  private static final byte[] EXIF_PREAMBLE = {'E', 'x', 'i', 'f', 0, 0};

  private ExifOrientation() {}

  /** The orientation, 1 to 8; 1 (as stored) when the file has none or it cannot be read. */
  static int of(byte[] bytes) {
    try {
      Metadata metadata = metadata(bytes);
      ExifIFD0Directory exif =
          metadata == null ? null : metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
      if (exif != null && exif.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
        int orientation = exif.getInt(ExifIFD0Directory.TAG_ORIENTATION);
        return orientation >= 1 && orientation <= 8 ? orientation : 1;
      }
    } catch (Exception e) {
      // No readable orientation: the image is shown as stored, as Pillow does.
    }
    return 1;
  }

  private static Metadata metadata(byte[] bytes) throws Exception {
    if (ImageDecoder.isJpeg(bytes)) {
      // APP1 segments only: each is at most 64 KiB, and nothing in them is inflated.
      return JpegMetadataReader.readMetadata(
          new ByteArrayInputStream(bytes), List.of(new ExifReader()));
    }
    boolean png = startsWith(bytes, PngHeader.SIGNATURE);
    byte[] exif = png ? pngExif(bytes) : webpExif(bytes);
    if (exif != null) {
      Metadata metadata = new Metadata();
      // Some WebP writers keep JPEG's "Exif\0\0" before the TIFF header, which Pillow skips. A
      // PNG's eXIf holds the TIFF header alone: Pillow puts the preamble before it itself, so with
      // one already there it finds no TIFF header (and raises); here that is no orientation.
      int offset = !png && startsWith(exif, EXIF_PREAMBLE) ? EXIF_PREAMBLE.length : 0;
      new ExifReader().extract(new ByteArrayReader(exif, offset), metadata);
      return metadata;
    }
    return null;
  }

  /**
   * The data of a WebP's {@code EXIF} chunk; null when the file is no WebP or has none. RIFF chunks
   * are little-endian, padded to an even length, and walked, not trusted.
   */
  static byte[] webpExif(byte[] bytes) {
    if (bytes.length < 12
        || !"RIFF".equals(new String(bytes, 0, 4, StandardCharsets.ISO_8859_1))
        || !"WEBP".equals(new String(bytes, 8, 4, StandardCharsets.ISO_8859_1))) {
      return null;
    }
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long at = 12;
    while (at + 8 <= bytes.length) {
      long length = in.getInt((int) at + 4) & 0xffffffffL; // after the chunk's type
      if (at + 8 + length > bytes.length) {
        return null;
      }
      if ("EXIF".equals(new String(bytes, (int) at, 4, StandardCharsets.ISO_8859_1))) {
        return Arrays.copyOfRange(bytes, (int) at + 8, (int) (at + 8 + length));
      }
      at += 8 + length + (length & 1);
    }
    return null;
  }

  /**
   * The data of the PNG's {@code eXIf} chunk, wherever it stands (Pillow reads one after the image
   * data too); null when there is none. Chunk lengths are walked, not trusted.
   */
  static byte[] pngExif(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    long at = PngHeader.SIGNATURE.length;
    while (at + 12 <= bytes.length) {
      long length = in.getInt((int) at) & 0xffffffffL;
      if (at + 12 + length > bytes.length) {
        return null;
      }
      String type = new String(bytes, (int) at + 4, 4, StandardCharsets.ISO_8859_1);
      if (type.equals("eXIf")) {
        return Arrays.copyOfRange(bytes, (int) at + 8, (int) (at + 8 + length));
      }
      if (type.equals("IEND")) {
        return null;
      }
      at += 12 + length;
    }
    return null;
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    if (bytes.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (bytes[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
