package io.memescope.core.image;

import io.memescope.core.embed.PilImage;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * JPEG thumbnails for the masonry wall: a column is {@link #SMALL} wide on phones and dense grids,
 * {@link #LARGE} for the enlarged view, and the height follows the image up to {@link #MAX_ASPECT}
 * times the width bound (a long comic strip stays a strip; a 1000 × 64000 image scales to fit 2880
 * high). Transparency is flattened onto white (a wall's background; JPEG has no alpha), and images
 * are never enlarged: a thumbnail of a small meme is the meme re-encoded.
 *
 * <p>Downscaling halves the image, averaging each 2x2 block, until it is within twice the target,
 * then finishes with one bilinear step: the quality of an area filter at the speed of a bilinear
 * one. A single step over a large factor would skip most source pixels and alias captions and fine
 * textures; within a factor of two a bilinear step reads every source pixel. (Until 2026-12-02 the
 * last step was bicubic, which cost 24 ms of Java2D's time per large image for no visible gain at
 * thumbnail size.)
 *
 * <p>Where OpenCV's natives load ({@link NativeCodecs}) it scales and encodes (libjpeg-turbo): both
 * sizes in 3.6 ms per image of the fetch benchmark's corpus, against Java2D's and ImageIO's 19.5
 * (with the bicubic step). Otherwise Java2D and ImageIO do, with the same steps and sizes.
 */
public final class Thumbnailer {
  /** A named width bound. */
  public record Size(String name, int maxWidth) {
    public Size {
      if (maxWidth < 1) {
        throw new IllegalArgumentException("maxWidth must be positive: " + maxWidth);
      }
    }
  }

  /**
   * An encoded thumbnail. {@code data} is the file itself; like any record holding an array, two
   * thumbnails compare equal only if they share the array.
   *
   * @param size the size's name ({@link Size#name()})
   * @param format the image format's short name, {@code jpeg}
   */
  public record Thumbnail(String size, String format, int width, int height, byte[] data) {
    /** The MIME type to serve {@code data} with. */
    public String contentType() {
      return "image/" + format;
    }
  }

  /** Dense wall columns. */
  public static final Size SMALL = new Size("small", 256);

  /** The enlarged view. */
  public static final Size LARGE = new Size("large", 720);

  /** The sizes ingestion makes of every image, and serving shows. */
  public static final List<Size> SIZES = List.of(SMALL, LARGE);

  /**
   * JPEG quality (0..1): high enough that flat meme backgrounds and caption edges show no blocks.
   */
  public static final float QUALITY = 0.85f;

  /** {@link #QUALITY} on OpenCV's scale (0..100). */
  static final int QUALITY_PERCENT = Math.round(QUALITY * 100);

  /** JPEG's largest side; a taller image is scaled to fit it. */
  static final int JPEG_MAX_SIDE = 65_535;

  private Thumbnailer() {}

  public static Thumbnail of(PilImage image, Size size) {
    return of(image, size.name(), size.maxWidth());
  }

  /**
   * The image scaled to at most {@code maxWidth} wide (aspect ratio kept, never enlarged, at least
   * one pixel each way), on white, as a JPEG.
   */
  public static Thumbnail of(PilImage image, String sizeName, int maxWidth) {
    return of(image, List.of(new Size(sizeName, maxWidth))).get(0); // Size checks maxWidth
  }

  /**
   * Thumbnails of several sizes, in the order given, each of the same dimensions {@link
   * #of(PilImage, Size)} gives. The image is flattened onto white once, and each size is scaled
   * from the next larger one rather than from the full image, which saves most of the work of all
   * but the largest (the ingest job makes two per image). Sizes that come out the same (an image
   * narrower than both) share one encoding: their {@code data} is the same array.
   */
  public static List<Thumbnail> of(PilImage image, List<Size> sizes) {
    return of(image, sizes, NativeCodecs.available());
  }

  /** With {@code nativeCodecs} false, Java2D and ImageIO make them (tests compare the two). */
  static List<Thumbnail> of(PilImage image, List<Size> sizes, boolean nativeCodecs) {
    int width = image.width();
    int height = image.height();
    List<Size> order = largestFirst(sizes);
    List<int[]> targets = targets(width, height, order);
    List<byte[]> jpegs;
    if (nativeCodecs) {
      jpegs =
          NativeCodecs.jpegThumbnails(onWhiteBgr(image), width, height, targets, QUALITY_PERCENT);
    } else {
      jpegs = new ArrayList<>();
      BufferedImage source = onWhite(image);
      int[] previous = null;
      for (int[] t : targets) {
        if (previous != null && Arrays.equals(previous, t)) {
          jpegs.add(jpegs.get(jpegs.size() - 1)); // narrower than both sizes: one encoding
          continue;
        }
        previous = t;
        source = downscale(source, t[0], t[1]);
        jpegs.add(jpeg(source));
      }
    }
    return inOrder(sizes, order, targets, jpegs);
  }

  /**
   * The heap {@link #of(PilImage, List)} allocates in full-size arrays, per pixel of an image of
   * any mode: the image flattened onto white, 3 bytes for OpenCV (which scales it off the heap), or
   * 4 for Java2D, held while it halves: 2 more where only one side halves at first, 1 and so on
   * after, at most 4 in all.
   */
  public static int heapBytesPerPixel(String mode) {
    return NativeCodecs.available() ? 3 : 8;
  }

  /** The sizes, largest first: the order in which each is scaled from the one before. */
  static List<Size> largestFirst(List<Size> sizes) {
    List<Size> order = new ArrayList<>(sizes);
    order.sort(Comparator.comparingInt(Size::maxWidth).reversed());
    return order;
  }

  /** {@link #target} of each size, in the order given. */
  static List<int[]> targets(int width, int height, List<Size> order) {
    return order.stream().map(size -> target(width, height, size.maxWidth())).toList();
  }

  /** Thumbnails made in {@code order}, returned in the order of {@code sizes}. */
  static List<Thumbnail> inOrder(
      List<Size> sizes, List<Size> order, List<int[]> targets, List<byte[]> jpegs) {
    Map<Size, Thumbnail> made = new HashMap<>();
    for (int i = 0; i < order.size(); i++) {
      int[] t = targets.get(i);
      made.put(order.get(i), new Thumbnail(order.get(i).name(), "jpeg", t[0], t[1], jpegs.get(i)));
    }
    return sizes.stream().map(made::get).toList();
  }

  /**
   * How many times its width bound a thumbnail may be high. Bounded by JPEG's 65,535 alone, a tall
   * detailed image within {@code model.max-pixels} (1000 × 64000) made a large thumbnail of 720 ×
   * 46080, about 25 MB for noise: over Cassandra's largest mutation (16 MiB by default), so its
   * commit would fail on every retry and hold up all ingestion. At 720 × 2880 a thumbnail of noise
   * is 1.6 MB.
   */
  public static final int MAX_ASPECT = 4;

  /**
   * Width and height at most {@code maxWidth} wide and {@link #MAX_ASPECT} times that high, never
   * enlarged.
   */
  public static int[] target(int width, int height, int maxWidth) {
    double maxHeight = Math.min((double) maxWidth * MAX_ASPECT, JPEG_MAX_SIDE);
    double scale =
        Math.min(1.0, Math.min((double) maxWidth / width, maxHeight / Math.max(height, 1)));
    return new int[] {
      Math.max(1, Math.min(width, (int) Math.round(width * scale))),
      Math.max(1, Math.min(height, (int) Math.round(height * scale)))
    };
  }

  /** The image as opaque RGB, alpha composited onto white ({@code c a + 255 (1 - a)}, rounded). */
  static BufferedImage onWhite(PilImage image) {
    BufferedImage out =
        new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
    onWhite(image, ((DataBufferInt) out.getRaster().getDataBuffer()).getData());
    return out;
  }

  /**
   * {@link #onWhite(PilImage)} as 3 bytes per pixel, blue first, as OpenCV takes it, made row by
   * row: the only full-size array is the one returned.
   */
  static byte[] onWhiteBgr(PilImage image) {
    int w = image.width();
    byte[] bgr = new byte[Math.multiplyExact(Math.multiplyExact(w, image.height()), 3)];
    if (image.mode().equals("RGB")) {
      byte[] px = image.pixels();
      for (int i = 0; i < bgr.length; i += 3) {
        bgr[i] = px[i + 2];
        bgr[i + 1] = px[i + 1];
        bgr[i + 2] = px[i];
      }
      return bgr;
    }
    int[] row = new int[w];
    for (int y = 0, j = 0; y < image.height(); y++) {
      onWhite(image, y, row);
      for (int x = 0; x < w; x++, j += 3) {
        int p = row[x];
        bgr[j] = (byte) p;
        bgr[j + 1] = (byte) (p >> 8);
        bgr[j + 2] = (byte) (p >> 16);
      }
    }
    return bgr;
  }

  private static void onWhite(PilImage image, int[] rgb) {
    int w = image.width();
    int[] row = new int[w];
    for (int y = 0; y < image.height(); y++) {
      onWhite(image, y, row);
      System.arraycopy(row, 0, rgb, y * w, w);
    }
  }

  /** Row {@code y} of {@link #onWhite(PilImage)}, packed 0xRRGGBB. */
  private static void onWhite(PilImage image, int y, int[] rgb) {
    int n = image.width();
    byte[] px = image.pixels();
    int b = image.bands();
    int start = y * n * b;
    switch (image.mode()) {
      case "P" -> {
        int[] palette = image.palette();
        for (int i = 0, j = start; i < n; i++, j++) {
          rgb[i] = palette[px[j] & 0xff] & 0xffffff;
        }
      }
      case "RGBA" -> {
        for (int i = 0, j = start; i < n; i++, j += b) {
          int a = px[j + 3] & 0xff;
          rgb[i] =
              pack(over(px[j] & 0xff, a), over(px[j + 1] & 0xff, a), over(px[j + 2] & 0xff, a));
        }
      }
      case "LA" -> {
        for (int i = 0, j = start; i < n; i++, j += b) {
          int v = over(px[j] & 0xff, px[j + 1] & 0xff);
          rgb[i] = pack(v, v, v);
        }
      }
      default -> {
        if (b >= 3) {
          for (int i = 0, j = start; i < n; i++, j += b) {
            rgb[i] = pack(px[j] & 0xff, px[j + 1] & 0xff, px[j + 2] & 0xff);
          }
        } else {
          for (int i = 0, j = start; i < n; i++, j += b) {
            int v = px[j] & 0xff;
            rgb[i] = pack(v, v, v);
          }
        }
      }
    }
  }

  /** One sample over white: {@code (c a + 255 (255 - a) + 127) / 255}. */
  static int over(int colour, int alpha) {
    return (colour * alpha + 255 * (255 - alpha) + 127) / 255;
  }

  private static int pack(int r, int g, int b) {
    return (r << 16) | (g << 8) | b;
  }

  /** Progressive halving with bilinear filtering, then one bilinear step to the exact size. */
  static BufferedImage downscale(BufferedImage image, int width, int height) {
    BufferedImage current = image;
    int w = current.getWidth();
    int h = current.getHeight();
    while (w / 2 >= width && h / 2 >= height) {
      w /= 2;
      h /= 2;
      current = draw(current, w, h, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    }
    // One side may still be more than twice its target (extreme aspect ratios round differently):
    // halve that side alone.
    while (w / 2 >= width || h / 2 >= height) {
      w = w / 2 >= width ? w / 2 : w;
      h = h / 2 >= height ? h / 2 : h;
      current = draw(current, w, h, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    }
    if (w != width || h != height) {
      current = draw(current, width, height, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    }
    return current;
  }

  private static BufferedImage draw(BufferedImage image, int width, int height, Object hint) {
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, hint);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.drawImage(image, 0, 0, width, height, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  /** Baseline JPEG at {@link #QUALITY}, through whichever JPEG writer ImageIO offers first. */
  static byte[] jpeg(BufferedImage image) {
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
    if (!writers.hasNext()) {
      throw new IllegalStateException("no JPEG writer registered with ImageIO");
    }
    ImageWriter writer = writers.next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    // Cached in memory: ImageIO's default stream would cache to a temporary file.
    try (ImageOutputStream out = new javax.imageio.stream.MemoryCacheImageOutputStream(bytes)) {
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(QUALITY);
      writer.setOutput(out);
      writer.write(null, new IIOImage(image, null, null), param);
    } catch (IOException e) {
      // Writing to memory: an IOException here is a writer bug, not bad input.
      throw new UncheckedIOException("cannot encode a JPEG thumbnail", e);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }
}
