package io.memescope.core.embed;

import com.drew.imaging.ImageMetadataReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes JPEG, PNG, GIF (first frame), WebP and BMP into a {@link PilImage} in the mode Pillow
 * would open it in, with the EXIF orientation applied as {@code ImageOps.exif_transpose} does. The
 * pixel count is checked from the header before any pixel is decoded, so a decompression bomb costs
 * nothing.
 */
public final class ImageDecoder {
  /** Pillow's own default bomb limit is about 89 million pixels; ours is configurable. */
  public static final long DEFAULT_MAX_PIXELS = 64_000_000L;

  private final long maxPixels;

  public ImageDecoder(long maxPixels) {
    this.maxPixels = maxPixels;
  }

  public ImageDecoder() {
    this(DEFAULT_MAX_PIXELS);
  }

  public PilImage decode(byte[] bytes) throws ImageDecodeException {
    if (bytes == null || bytes.length == 0) {
      throw new ImageDecodeException(ImageDecodeException.Reason.EMPTY, "no bytes");
    }
    BufferedImage image = read(bytes);
    PilImage pil = toPil(image);
    return Orientation.apply(pil, orientation(bytes));
  }

  private BufferedImage read(byte[] bytes) throws ImageDecodeException {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      List<ImageReader> readers = readers(in);
      if (readers.isEmpty()) {
        throw new ImageDecodeException(
            ImageDecodeException.Reason.NOT_AN_IMAGE,
            "not a JPEG, PNG, GIF, WebP or BMP image (" + bytes.length + " bytes)");
      }
      for (int i = 0; i < readers.size() - 1; i++) {
        try {
          return read(readers.get(i), bytes);
        } catch (LinkageError e) {
          // A native decoder (libwebp) that cannot load on this platform: use the next reader.
        }
      }
      return read(readers.get(readers.size() - 1), bytes);
    } catch (ImageDecodeException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new ImageDecodeException(
          ImageDecodeException.Reason.CORRUPT, "cannot decode image: " + e.getMessage(), e);
    }
  }

  /** Readers for the stream, libwebp's first: it decodes exactly as Pillow does. */
  private static List<ImageReader> readers(ImageInputStream in) {
    List<ImageReader> readers = new ArrayList<>();
    ImageIO.getImageReaders(in).forEachRemaining(readers::add);
    readers.sort(
        Comparator.comparing(r -> r.getClass().getName().startsWith("com.luciad") ? 0 : 1));
    return readers;
  }

  private BufferedImage read(ImageReader reader, byte[] bytes)
      throws IOException, ImageDecodeException {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      try {
        reader.setInput(in, true, true);
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        if (pixels > maxPixels) {
          throw new ImageDecodeException(
              ImageDecodeException.Reason.TOO_MANY_PIXELS,
              reader.getWidth(0)
                  + "x"
                  + reader.getHeight(0)
                  + " pixels is more than the limit of "
                  + maxPixels);
        }
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        BufferedImage image = reader.read(0);
        for (String warning : warnings) {
          // Pillow refuses a truncated file ("image file is truncated"); ImageIO would fill the
          // missing rows with grey and only warn.
          String w = warning.toLowerCase(java.util.Locale.ROOT);
          if (w.contains("premature end") || w.contains("truncat")) {
            throw new ImageDecodeException(
                ImageDecodeException.Reason.CORRUPT, "truncated image: " + warning);
          }
        }
        return image;
      } finally {
        reader.dispose();
      }
    }
  }

  static PilImage toPil(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    ColorModel cm = image.getColorModel();
    Raster raster = image.getRaster();
    if (cm instanceof IndexColorModel icm) {
      int[] palette = new int[icm.getMapSize()];
      for (int i = 0; i < palette.length; i++) {
        palette[i] = icm.getRGB(i) & 0xffffff;
      }
      return new PilImage("P", w, h, raster.getSamples(0, 0, w, h, 0, new int[w * h]), palette);
    }
    int bands = raster.getNumBands();
    if (bands <= 2 && cm.getNumColorComponents() == 1) {
      // Grey: read the samples themselves; getRGB would push them through a gamma conversion.
      int[] samples = raster.getPixels(0, 0, w, h, new int[w * h * bands]);
      int depth = cm.getComponentSize(0);
      if (depth > 8) {
        for (int i = 0; i < samples.length; i++) {
          samples[i] = samples[i] >> (depth - 8);
        }
      }
      return new PilImage(bands == 2 ? "LA" : "L", w, h, samples, null);
    }
    boolean alpha = cm.hasAlpha();
    int b = alpha ? 4 : 3;
    int[] direct = interleavedSrgb(image, b);
    if (direct != null) {
      return new PilImage(alpha ? "RGBA" : "RGB", w, h, direct, null);
    }
    int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
    int[] pixels = new int[w * h * b];
    for (int i = 0; i < argb.length; i++) {
      int p = argb[i];
      pixels[i * b] = (p >> 16) & 0xff;
      pixels[i * b + 1] = (p >> 8) & 0xff;
      pixels[i * b + 2] = p & 0xff;
      if (alpha) {
        pixels[i * b + 3] = (p >>> 24) & 0xff;
      }
    }
    return new PilImage(alpha ? "RGBA" : "RGB", w, h, pixels, null);
  }

  /**
   * The samples of an 8-bit, pixel-interleaved, non-premultiplied sRGB image, read straight from
   * its buffer in R, G, B (, A) order; null for any other layout. This is what ImageIO's JPEG and
   * PNG readers give for colour images ({@code TYPE_3BYTE_BGR}, {@code TYPE_4BYTE_ABGR} and their
   * custom equivalents), and for it {@link BufferedImage#getRGB} returns these very samples, only
   * through a colour-model call per pixel (most of the decoding time of a JPEG).
   */
  static int[] interleavedSrgb(BufferedImage image, int bands) {
    ColorModel cm = image.getColorModel();
    Raster raster = image.getRaster();
    if (!(cm instanceof ComponentColorModel)
        || !cm.getColorSpace().isCS_sRGB()
        || cm.isAlphaPremultiplied()
        || cm.getTransferType() != DataBuffer.TYPE_BYTE
        || cm.getNumComponents() != bands
        || raster.getNumBands() != bands
        || !(raster.getSampleModel() instanceof PixelInterleavedSampleModel sm)
        || !(raster.getDataBuffer() instanceof DataBufferByte buffer)
        || buffer.getNumBanks() != 1) {
      return null;
    }
    for (int i = 0; i < bands; i++) {
      if (cm.getComponentSize(i) != 8) {
        return null;
      }
    }
    int w = image.getWidth();
    int h = image.getHeight();
    int[] bandOffsets = sm.getBandOffsets();
    int pixelStride = sm.getPixelStride();
    int scanline = sm.getScanlineStride();
    int origin =
        buffer.getOffset()
            - raster.getSampleModelTranslateY() * scanline
            - raster.getSampleModelTranslateX() * pixelStride;
    byte[] data = buffer.getData();
    int[] out = new int[w * h * bands];
    int j = 0;
    for (int y = 0; y < h; y++) {
      int row = origin + y * scanline;
      if (bands == 3) {
        int r = row + bandOffsets[0];
        int g = row + bandOffsets[1];
        int b = row + bandOffsets[2];
        for (int x = 0; x < w; x++, r += pixelStride, g += pixelStride, b += pixelStride) {
          out[j++] = data[r] & 0xff;
          out[j++] = data[g] & 0xff;
          out[j++] = data[b] & 0xff;
        }
      } else {
        for (int x = 0; x < w; x++) {
          int p = row + x * pixelStride;
          for (int k = 0; k < bands; k++) {
            out[j++] = data[p + bandOffsets[k]] & 0xff;
          }
        }
      }
    }
    return out;
  }

  private static int orientation(byte[] bytes) {
    try {
      Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(bytes));
      ExifIFD0Directory exif = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
      if (exif != null && exif.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
        return exif.getInt(ExifIFD0Directory.TAG_ORIENTATION);
      }
    } catch (Exception e) {
      // No readable metadata: the image is shown as stored, as Pillow does.
    }
    return 1;
  }
}
