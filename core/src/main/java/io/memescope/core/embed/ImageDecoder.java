package io.memescope.core.embed;

import io.memescope.core.image.NativeCodecs;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.MultiPixelPackedSampleModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.awt.image.SinglePixelPackedSampleModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes JPEG, PNG, GIF (first frame), WebP and BMP into a {@link PilImage} in the mode Pillow
 * would open it in, with the EXIF orientation applied as {@code ImageOps.exif_transpose} does. The
 * pixel count is checked from the header before any pixel is decoded, so a decompression bomb costs
 * nothing; of the file's metadata only the EXIF block is read ({@link ExifOrientation}), never a
 * compressed text chunk or colour profile.
 *
 * <p>Well-formed 8-bit JPEGs and PNGs are decoded by OpenCV ({@link NativeCodecs}: libjpeg-turbo,
 * libpng), 6.1 ms per image on the fetch benchmark's corpus against ImageIO's 9.3; everything else,
 * and everything where the natives are unavailable, by ImageIO. Both paths give the same samples
 * (ImageDecoderTest compares them; ClipParityTest checks JPEGs and PNGs bit for bit against
 * Pillow's preprocessing).
 */
public final class ImageDecoder {
  /** Pillow's own default bomb limit is about 89 million pixels; ours is configurable. */
  public static final long DEFAULT_MAX_PIXELS = 64_000_000L;

  private final long maxPixels;
  private final boolean nativeCodecs;
  private final DecodeMemory memory;
  private final DecodeMemory nativeMemory;

  public ImageDecoder(long maxPixels) {
    this(maxPixels, true, DecodeMemory.shared());
  }

  /** With {@code nativeCodecs} false, ImageIO decodes everything (tests compare the two paths). */
  ImageDecoder(long maxPixels, boolean nativeCodecs) {
    this(maxPixels, nativeCodecs, DecodeMemory.shared());
  }

  /** Decoding within {@code memory} (tests give a small budget). */
  ImageDecoder(long maxPixels, boolean nativeCodecs, DecodeMemory memory) {
    this(maxPixels, nativeCodecs, memory, DecodeMemory.offHeap());
  }

  /** Decoding within {@code memory} on the heap and {@code nativeMemory} off it (tests). */
  public ImageDecoder(
      long maxPixels, boolean nativeCodecs, DecodeMemory memory, DecodeMemory nativeMemory) {
    this.maxPixels = maxPixels;
    this.nativeCodecs = nativeCodecs;
    this.memory = memory;
    this.nativeMemory = nativeMemory;
  }

  /**
   * The budget OpenCV's decodes reserve in, off the heap: {@link
   * io.memescope.core.image.ImageAnalysis} reserves there for its own.
   */
  public DecodeMemory nativeMemory() {
    return nativeMemory;
  }

  public ImageDecoder() {
    this(DEFAULT_MAX_PIXELS);
  }

  /**
   * What the user of a decoded image allocates besides it, in bytes per pixel of the image, for the
   * image's mode: the full-size arrays only (a copy, a premultiplied or flattened version).
   */
  @FunctionalInterface
  public interface UseCost {
    int bytesPerPixel(String mode);
  }

  /** The work done with a decoded image while its memory is reserved. */
  @FunctionalInterface
  public interface Use<T> {
    T apply(PilImage image) throws ImageDecodeException;
  }

  /**
   * Decodes the image and hands it to {@code use}, with the heap both need reserved in this
   * process's {@link DecodeMemory} from before the first pixel is decoded until {@code use}
   * returns: waiting while other decodes hold the memory, refused ({@code TOO_MANY_PIXELS}) when it
   * could never fit. The image must not outlive {@code use}.
   */
  public <T> T decode(byte[] bytes, UseCost cost, Use<T> use) throws ImageDecodeException {
    return decode(bytes, nativeCodecs, cost, use);
  }

  /**
   * As {@link #decode(byte[], UseCost, Use)}, but never through OpenCV: for a caller that gave a
   * {@link #wellFormed} file to OpenCV itself and was refused, so that OpenCV is not asked a second
   * time.
   */
  public <T> T decodeWithoutNatives(byte[] bytes, UseCost cost, Use<T> use)
      throws ImageDecodeException {
    return decode(bytes, false, cost, use);
  }

  /**
   * The decoded image, for tests and tools that keep it: its memory is reserved while it is decoded
   * only, so callers that run alongside others use {@link #decode(byte[], UseCost, Use)}.
   */
  public PilImage decode(byte[] bytes) throws ImageDecodeException {
    return decode(bytes, nativeCodecs, mode -> 0, image -> image);
  }

  private <T> T decode(byte[] bytes, boolean tryNative, UseCost cost, Use<T> use)
      throws ImageDecodeException {
    if (bytes == null || bytes.length == 0) {
      throw new ImageDecodeException(ImageDecodeException.Reason.EMPTY, "no bytes");
    }
    int orientation = ExifOrientation.of(bytes);
    WellFormed file = tryNative ? wellFormed(bytes, orientation) : null;
    if (file != null) {
      // OpenCV decodes off the heap, within the native budget until the samples are copied out;
      // on the heap only those samples count. Heap first, then native memory, always in that
      // order, so that two decodes never wait for each other.
      long offHeap = NativeCodecs.decodeFootprint(file, bytes.length);
      try (DecodeMemory.Lease lease =
          reserve(footprint(file.width(), file.height(), 0, mode(file), orientation, cost))) {
        PilImage pil;
        try (DecodeMemory.Lease outside = nativeMemory.reserve(offHeap, what(file))) {
          pil = NativeCodecs.decode(bytes, file.channels());
        }
        if (pil != null && pil.width() == file.width() && pil.height() == file.height()) {
          return use.apply(Orientation.apply(pil, orientation));
        }
      }
    }
    Read read = read(bytes, orientation, cost);
    try (DecodeMemory.Lease lease = read.lease()) {
      PilImage pil = toPil(read.image());
      read = null; // ImageIO's raster can go once the samples are copied
      return use.apply(Orientation.apply(pil, orientation));
    }
  }

  /** ImageIO's decoded image, and the memory reserved for it and what follows. */
  private record Read(BufferedImage image, DecodeMemory.Lease lease) {}

  /**
   * Reserves the full-size arrays of one decode: ImageIO's ({@code rasterBytesPerPixel}, none for
   * OpenCV, which decodes off the heap), the samples, a rotated copy when the orientation asks for
   * one, and what the use allocates.
   */
  private static Footprint footprint(
      long width,
      long height,
      int rasterBytesPerPixel,
      String mode,
      int orientation,
      UseCost cost) {
    int bands = PilImage.bands(mode);
    long perPixel =
        rasterBytesPerPixel
            + (long) bands * (Orientation.rotates(orientation) ? 2 : 1)
            + cost.bytesPerPixel(mode);
    return new Footprint(width * height * perPixel, width + "x" + height + " " + mode);
  }

  /** What one decode and its use will hold, and how to name the image in a refusal. */
  private record Footprint(long bytes, String what) {}

  private DecodeMemory.Lease reserve(Footprint f) throws ImageDecodeException {
    return memory.reserve(f.bytes(), f.what());
  }

  /**
   * Refuses, as {@link #decode(byte[], UseCost, Use)} would, a file whose decode and {@code cost}
   * could never fit in this process's budget, from its header alone; returns quietly for anything
   * else, a file that cannot be read included (the decode explains those). The ingest job's
   * analysing stage asks this for the embedder's preprocessing, so that an image the embedder would
   * refuse is refused before the de-duplicator records it and merges copies into it.
   */
  public void checkFits(byte[] bytes, UseCost cost) throws ImageDecodeException {
    if (bytes == null || bytes.length == 0) {
      return;
    }
    int orientation = ExifOrientation.of(bytes);
    WellFormed file = nativeCodecs ? wellFormed(bytes, orientation) : null;
    if (file != null) {
      Footprint f = footprint(file.width(), file.height(), 0, mode(file), orientation, cost);
      memory.check(f.bytes(), f.what());
      return;
    }
    ImageInputStream in = memory(bytes);
    List<ImageReader> readers = readers(in);
    if (readers.isEmpty()) {
      return;
    }
    ImageReader reader = readers.get(0);
    try {
      reader.setInput(in, true, true);
      Footprint f = footprint(reader, orientation, cost);
      memory.check(f.bytes(), f.what());
    } catch (IOException | RuntimeException e) {
      // Unreadable here: the decode says why.
    } finally {
      readers.forEach(ImageReader::dispose);
      try {
        in.close();
      } catch (IOException e) {
        // A stream over an array.
      }
    }
  }

  private static String mode(WellFormed file) {
    return file.channels() == 1 ? "L" : file.channels() == 3 ? "RGB" : "RGBA";
  }

  /** The image as a refusal or a cancellation names it: "6000x4000 RGB". */
  public static String what(WellFormed file) {
    return file.width() + "x" + file.height() + " " + mode(file);
  }

  /**
   * A file OpenCV may decode: a well-formed 8-bit JPEG or PNG whose size is within the limit.
   *
   * @param width as stored, before {@code orientation}
   * @param channels 1 (grey), 3 (RGB) or 4 (RGBA)
   * @param orientation the EXIF orientation, 1 when there is none
   * @param coefficientBytes what libjpeg holds besides the image while decoding (a progressive
   *     JPEG's coefficients); 0 for a PNG
   */
  public record WellFormed(
      int width, int height, int channels, int orientation, long coefficientBytes) {}

  /**
   * The header of a file that OpenCV's codecs may decode ({@link #decode} says which), with its
   * size checked against the pixel limit; null for any other file, and wherever the natives are
   * unavailable. Callers that decode natively themselves fall back to {@link #decode} when OpenCV
   * refuses the file after all.
   *
   * @throws ImageDecodeException for no bytes, or a size over the limit
   */
  public WellFormed wellFormed(byte[] bytes) throws ImageDecodeException {
    if (bytes == null || bytes.length == 0) {
      throw new ImageDecodeException(ImageDecodeException.Reason.EMPTY, "no bytes");
    }
    return nativeCodecs ? wellFormed(bytes, ExifOrientation.of(bytes)) : null;
  }

  /**
   * What OpenCV decodes: a well-formed 8-bit JPEG (grey or YCbCr, its frame header found as libjpeg
   * finds it ({@link JpegHeader}), its scans ending in an EOI marker, {@link JpegHeader#scansEnd})
   * or PNG (grey, RGB or RGBA, not animated, without a tRNS chunk, ending in IEND), whose samples
   * come in the mode Pillow opens it in; null for anything else, which ImageIO then decodes or
   * explains. A truncated file never reaches its end marker, so it always takes ImageIO's path,
   * which refuses it as Pillow does rather than filling the missing rows with grey as libjpeg does.
   */
  private WellFormed wellFormed(byte[] bytes, int orientation) throws ImageDecodeException {
    if (!NativeCodecs.available()) {
      return null;
    }
    int width;
    int height;
    int channels;
    long coefficientBytes = 0;
    if (isJpeg(bytes)) {
      JpegHeader jpeg = JpegHeader.read(bytes);
      if (jpeg == null || !JpegHeader.scansEnd(bytes) || jpeg.precision() != 8) {
        return null;
      }
      width = jpeg.width();
      height = jpeg.height();
      channels = jpeg.components();
      coefficientBytes = jpeg.coefficientBytes();
      if (channels != 1 && channels != 3) {
        return null; // CMYK and YCCK: ImageIO's path
      }
    } else {
      PngHeader png = PngHeader.read(bytes);
      if (png == null
          || png.bitDepth() != 8
          || png.transparencyChunk()
          || png.animated()
          || !png.complete()) {
        return null;
      }
      width = png.width();
      height = png.height();
      channels =
          switch (png.colourType()) {
            case 0 -> 1;
            case 2 -> 3;
            case 6 -> 4;
            default -> 0; // palette and grey with alpha: ImageIO's path keeps Pillow's modes
          };
      if (channels == 0) {
        return null;
      }
    }
    checkPixels(width, height);
    return new WellFormed(width, height, channels, orientation, coefficientBytes);
  }

  /**
   * The longest side taken, JPEG's own limit. A longer one, however few its pixels (a PNG of 30
   * million by 1 is a few kilobytes), made the perceptual hash's Lanczos weights take about 24
   * bytes per pixel of that side, none of it in the decode's budget: 720 MB at 30 million (until
   * 2026-12-07).
   */
  static final int MAX_SIDE = 65_535;

  private void checkPixels(long width, long height) throws ImageDecodeException {
    if (width > MAX_SIDE || height > MAX_SIDE) {
      throw new ImageDecodeException(
          ImageDecodeException.Reason.TOO_MANY_PIXELS,
          width + "x" + height + " pixels has a side longer than " + MAX_SIDE);
    }
    if (width * height > maxPixels) {
      throw new ImageDecodeException(
          ImageDecodeException.Reason.TOO_MANY_PIXELS,
          width + "x" + height + " pixels is more than the limit of " + maxPixels);
    }
  }

  static boolean isJpeg(byte[] b) {
    return b.length > 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff;
  }

  private Read read(byte[] bytes, int orientation, UseCost cost) throws ImageDecodeException {
    if (bmpHoldingAnotherFormat(bytes)) {
      throw new ImageDecodeException(
          ImageDecodeException.Reason.UNSUPPORTED_FORMAT,
          "a BMP holding a JPEG or PNG (compression 4 or 5), which Pillow does not open either");
    }
    try (ImageInputStream in = memory(bytes)) {
      List<ImageReader> readers = readers(in);
      if (readers.isEmpty()) {
        throw new ImageDecodeException(
            ImageDecodeException.Reason.NOT_AN_IMAGE,
            "not a JPEG, PNG, GIF, WebP or BMP image (" + bytes.length + " bytes)");
      }
      for (int i = 0; i < readers.size() - 1; i++) {
        try {
          return read(readers.get(i), bytes, orientation, cost);
        } catch (LinkageError | IOException e) {
          // A native decoder (libwebp) that cannot load on this platform, or that cannot read
          // this file (libwebp's reader refuses animated WebP, common for memes; TwelveMonkeys
          // reads its first frame): use the next reader.
        }
      }
      return read(readers.get(readers.size() - 1), bytes, orientation, cost);
    } catch (ImageDecodeException | java.util.concurrent.CancellationException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new ImageDecodeException(
          ImageDecodeException.Reason.CORRUPT, "cannot decode image: " + e.getMessage(), e);
    }
  }

  /**
   * A BMP whose pixels are a JPEG or PNG stream (BI_JPEG, BI_PNG; printers' format): the JDK's
   * reader allocates the size its header claims and decodes the stream at the stream's own size,
   * past the pixel check of the BMP's header (until 2026-12-07).
   */
  static boolean bmpHoldingAnotherFormat(byte[] bytes) {
    if (bytes.length < 34 || bytes[0] != 'B' || bytes[1] != 'M') {
      return false;
    }
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int headerSize = b.getInt(14);
    if (headerSize < 40) {
      return false; // OS/2's 12-byte header has no compression field
    }
    int compression = b.getInt(30);
    return compression == 4 || compression == 5;
  }

  /**
   * The bytes as a stream cached in memory. ImageIO.createImageInputStream caches to temporary
   * files by default: two files on disk per GIF, WebP, BMP or rotated JPEG, and every such image
   * failing as corrupt once the temporary folder is full.
   */
  private static ImageInputStream memory(byte[] bytes) {
    return new javax.imageio.stream.MemoryCacheImageInputStream(new ByteArrayInputStream(bytes));
  }

  /** Readers for the stream, libwebp's first: it decodes exactly as Pillow does. */
  private static List<ImageReader> readers(ImageInputStream in) {
    List<ImageReader> readers = new ArrayList<>();
    ImageIO.getImageReaders(in).forEachRemaining(readers::add);
    readers.sort(
        Comparator.comparing(r -> r.getClass().getName().startsWith("com.luciad") ? 0 : 1));
    return readers;
  }

  private Read read(ImageReader reader, byte[] bytes, int orientation, UseCost cost)
      throws IOException, ImageDecodeException {
    ImageInputStream in = memory(bytes);
    DecodeMemory.Lease lease = null;
    try {
      reader.setInput(in, true, true);
      lease = reserve(footprint(reader, orientation, cost));
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
      Read read = new Read(image, lease);
      lease = null;
      return read;
    } finally {
      // Nothing here may throw once the lease is handed over: it would be lost with the result.
      if (lease != null) {
        lease.close(); // failed: the next reader, or the caller's refusal, reserves anew
      }
      try {
        reader.dispose();
        in.close();
      } catch (IOException | RuntimeException e) {
        // A stream over an array; nothing to release that matters.
      }
    }
  }

  /**
   * The reservation for decoding the reader's first image (its size checked against the pixel limit
   * first): twice the raster, since ImageIO's readers allocate as much again while decoding
   * (measured for JPEG, PNG and BMP: a working raster, or the stream's cache of an uncompressed
   * file), then the samples, a rotated copy and the use.
   */
  private Footprint footprint(ImageReader reader, int orientation, UseCost cost)
      throws IOException, ImageDecodeException {
    int width = reader.getWidth(0);
    int height = reader.getHeight(0);
    checkPixels(width, height);
    ImageTypeSpecifier type = type(reader);
    return footprint(
        width, height, 2 * rasterBytesPerPixel(type), pilMode(type), orientation, cost);
  }

  /**
   * The type the reader decodes into: the first it offers, which {@code read} uses when given no
   * destination (the raw type can differ: an RGB PNG with a transparent colour is stored as RGB and
   * decoded as RGBA); null if the reader does not say.
   */
  private static ImageTypeSpecifier type(ImageReader reader) {
    try {
      java.util.Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
      if (types != null && types.hasNext()) {
        return types.next();
      }
      return reader.getRawImageType(0);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Bytes per pixel of a raster of {@code type}: 8 (16-bit RGBA) when the reader does not say. */
  static int rasterBytesPerPixel(ImageTypeSpecifier type) {
    if (type == null) {
      return 8;
    }
    SampleModel sm = type.getSampleModel(1, 1);
    int bits = DataBuffer.getDataTypeSize(sm.getDataType());
    if (sm instanceof SinglePixelPackedSampleModel || sm instanceof MultiPixelPackedSampleModel) {
      return (bits + 7) / 8; // one element per pixel at most
    }
    return (sm.getNumBands() * bits + 7) / 8;
  }

  /**
   * The mode {@link #toPil} will give an image of {@code type}: RGBA when the reader does not say.
   */
  static String pilMode(ImageTypeSpecifier type) {
    if (type == null) {
      return "RGBA";
    }
    ColorModel cm = type.getColorModel();
    if (cm instanceof IndexColorModel icm && icm.getMapSize() <= 256) {
      return "P";
    }
    if (cm.getNumColorComponents() == 1 && type.getSampleModel(1, 1).getNumBands() <= 2) {
      return type.getSampleModel(1, 1).getNumBands() == 2 ? "LA" : "L";
    }
    return cm.hasAlpha() ? "RGBA" : "RGB";
  }

  /**
   * The image's samples in Pillow's mode, read a row at a time: besides ImageIO's own raster, the
   * only full-size array is the image's, one byte per sample.
   */
  static PilImage toPil(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    ColorModel cm = image.getColorModel();
    Raster raster = image.getRaster();
    if (cm instanceof IndexColorModel icm && icm.getMapSize() <= 256) {
      int[] palette = new int[icm.getMapSize()];
      for (int i = 0; i < palette.length; i++) {
        palette[i] = icm.getRGB(i) & 0xffffff;
      }
      byte[] indices = new byte[Math.multiplyExact(w, h)];
      int[] row = new int[w];
      for (int y = 0; y < h; y++) {
        raster.getSamples(0, y, w, 1, 0, row);
        for (int x = 0; x < w; x++) {
          indices[y * w + x] = (byte) row[x];
        }
      }
      return new PilImage("P", w, h, indices, palette);
    }
    int bands = raster.getNumBands();
    if (bands <= 2 && cm.getNumColorComponents() == 1) {
      // Grey: read the samples themselves; getRGB would push them through a gamma conversion.
      int depth = cm.getComponentSize(0);
      byte[] samples = new byte[Math.multiplyExact(Math.multiplyExact(w, h), bands)];
      int[] row = new int[w * bands];
      for (int y = 0; y < h; y++) {
        raster.getPixels(0, y, w, 1, row);
        for (int i = 0; i < row.length; i++) {
          samples[y * row.length + i] = (byte) (depth > 8 ? row[i] >> (depth - 8) : row[i]);
        }
      }
      return new PilImage(bands == 2 ? "LA" : "L", w, h, samples, null);
    }
    boolean alpha = cm.hasAlpha();
    int b = alpha ? 4 : 3;
    byte[] direct = interleavedSrgb(image, b);
    if (direct != null) {
      return new PilImage(alpha ? "RGBA" : "RGB", w, h, direct, null);
    }
    byte[] pixels = new byte[Math.multiplyExact(Math.multiplyExact(w, h), b)];
    int[] argb = new int[w];
    for (int y = 0, j = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, argb, 0, w);
      for (int x = 0; x < w; x++, j += b) {
        int p = argb[x];
        pixels[j] = (byte) (p >> 16);
        pixels[j + 1] = (byte) (p >> 8);
        pixels[j + 2] = (byte) p;
        if (alpha) {
          pixels[j + 3] = (byte) (p >>> 24);
        }
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
  static byte[] interleavedSrgb(BufferedImage image, int bands) {
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
    byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), bands)];
    int j = 0;
    for (int y = 0; y < h; y++) {
      int row = origin + y * scanline;
      if (bands == 3) {
        int r = row + bandOffsets[0];
        int g = row + bandOffsets[1];
        int b = row + bandOffsets[2];
        for (int x = 0; x < w; x++, r += pixelStride, g += pixelStride, b += pixelStride) {
          out[j++] = data[r];
          out[j++] = data[g];
          out[j++] = data[b];
        }
      } else {
        for (int x = 0; x < w; x++) {
          int p = row + x * pixelStride;
          for (int k = 0; k < bands; k++) {
            out[j++] = data[p + bandOffsets[k]];
          }
        }
      }
    }
    return out;
  }
}
