package io.memescope.flink.ingest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;

/**
 * A corpus served on loopback as {@code http://localhost:PORT/...}: {@code good} generated memes (a
 * picture of random shapes with a caption, PNG or JPEG), {@code exact} of them again under other
 * URLs, {@code near} of them re-encoded as JPEG at another quality, and a hostile set, each member
 * with the reason the job must give.
 */
final class Corpus implements AutoCloseable {
  final Map<String, byte[]> good = new LinkedHashMap<>();
  final Map<String, String> exactOf = new LinkedHashMap<>();
  final Map<String, String> nearOf = new LinkedHashMap<>();
  final Map<String, String> hostile = new LinkedHashMap<>();
  private final Map<String, byte[]> files = new LinkedHashMap<>();
  private final HttpServer server;
  private final java.util.List<Long> hashes = new java.util.ArrayList<>();
  private final java.util.concurrent.ExecutorService executor;
  final String base;

  Corpus(int goodCount, int exactCount, int nearCount, long seed) throws IOException {
    this(goodCount, exactCount, nearCount, seed, true);
  }

  /**
   * @param distinctHashes whether to regenerate an image whose perceptual hash is near another's
   *     (quadratic in the count: tests yes, a 10,000-image benchmark no)
   */
  Corpus(int goodCount, int exactCount, int nearCount, long seed, boolean distinctHashes)
      throws IOException {
    Random random = new Random(seed);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    executor = Executors.newFixedThreadPool(16);
    server.setExecutor(executor);
    base = "http://localhost:" + server.getAddress().getPort();
    for (int i = 0; i < goodCount; i++) {
      BufferedImage image;
      byte[] bytes;
      long hash;
      do { // distinct images must be far apart for the perceptual hash too
        image = meme(random, i);
        bytes = i % 3 == 0 ? jpeg(image, 0.9f) : png(image);
        hash = phash(bytes);
      } while (distinctHashes && near(hashes, hash, 16));
      hashes.add(hash);
      String path = "/img/" + i + (i % 3 == 0 ? ".jpg" : ".png");
      good.put(base + path, bytes);
      files.put(path, bytes);
      if (i < exactCount) {
        files.put("/copy/" + i + "/same", bytes);
        exactOf.put(base + "/copy/" + i + "/same", base + path);
      } else if (i < exactCount + nearCount) {
        // Re-encoded, and every other one also resized to half its size.
        BufferedImage copy = image;
        if (i % 2 == 0) {
          copy =
              new BufferedImage(
                  image.getWidth() / 2, image.getHeight() / 2, BufferedImage.TYPE_INT_RGB);
          Graphics2D g = copy.createGraphics();
          g.setRenderingHint(
              RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
          g.drawImage(image, 0, 0, copy.getWidth(), copy.getHeight(), null);
          g.dispose();
        }
        byte[] reencoded = jpeg(copy, i % 3 == 0 ? 0.6f : 0.8f);
        if (Long.bitCount(phash(reencoded) ^ hash) <= 4) { // well inside the job's distance, 6
          files.put("/near/" + i + ".jpg", reencoded);
          nearOf.put(base + "/near/" + i + ".jpg", base + path);
        }
      }
    }
    byte[] sample = jpeg(meme(random, -1), 0.9f);
    files.put("/bad/truncated.jpg", Arrays.copyOf(sample, sample.length / 2));
    hostile.put(base + "/bad/truncated.jpg", "decode_error");
    files.put("/bad/empty.png", new byte[0]);
    hostile.put(base + "/bad/empty.png", "empty");
    files.put("/bad/page.jpg", "<!DOCTYPE html><html><body>Not found</body></html>".getBytes());
    hostile.put(base + "/bad/page.jpg", "not_an_image");
    files.put("/bad/bomb.png", bomb());
    hostile.put(base + "/bad/bomb.png", "bomb");
    files.put(
        "/bad/vector.svg",
        "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>".getBytes());
    hostile.put(base + "/bad/vector.svg", "unsupported_format");
    hostile.put(base + "/bad/huge.jpg", "too_large");
    hostile.put(base + "/bad/slow.jpg", "timeout");
    hostile.put(base + "/bad/loop", "redirect_loop");
    hostile.put(base + "/bad/to-loopback", "blocked_address");
    hostile.put(base + "/bad/missing.png", "http_status");
    hostile.put(base + "/bad/noindex.jpg", "robots_tag");
    server.createContext("/", this::serve);
    server.start();
  }

  private void serve(HttpExchange e) throws IOException {
    String path = e.getRequestURI().getPath();
    try (e) {
      switch (path) {
        case "/bad/huge.jpg" -> {
          e.getResponseHeaders().add("Content-Type", "image/jpeg");
          e.sendResponseHeaders(200, 0); // chunked, no length: the cap must cut it
          byte[] chunk = new byte[64 * 1024];
          try (OutputStream out = e.getResponseBody()) {
            out.write(files.get("/img/0.jpg")); // a real JPEG start, then 50 MB more
            for (int i = 0; i < 50 * 16; i++) {
              out.write(chunk);
            }
          } catch (IOException closedByClient) {
            // expected: the fetcher stops reading at its cap
          }
        }
        case "/bad/slow.jpg" -> {
          e.sendResponseHeaders(200, 0);
          try (OutputStream out = e.getResponseBody()) {
            for (int i = 0; i < 600; i++) {
              out.write(0xFF);
              out.flush();
              Thread.sleep(200);
            }
          } catch (IOException | InterruptedException closedByClient) {
            // expected: the fetcher gives up
          }
        }
        case "/bad/loop" -> redirect(e, "/bad/loop");
        case "/bad/noindex.jpg" -> { // a good image whose site asks not to index it
          byte[] body = files.get("/img/0.jpg");
          e.getResponseHeaders().add("Content-Type", "image/jpeg");
          e.getResponseHeaders().add("X-Robots-Tag", "noindex, noimageindex");
          e.sendResponseHeaders(200, body.length);
          e.getResponseBody().write(body);
        }
        case "/bad/to-loopback" ->
            redirect(e, "http://127.0.0.1:" + server.getAddress().getPort() + "/img/0.jpg");
        default -> {
          byte[] body = files.get(path);
          if (body == null) {
            e.sendResponseHeaders(404, -1);
            return;
          }
          e.getResponseHeaders()
              .add("Content-Type", path.endsWith(".png") ? "image/png" : "image/jpeg");
          e.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
          if (body.length > 0) {
            e.getResponseBody().write(body);
          }
        }
      }
    }
  }

  /** The bytes served at {@code url}. */
  byte[] bytes(String url) {
    return files.get(java.net.URI.create(url).getPath());
  }

  /**
   * Adds images of the size of photos, for a TaskManager heap under 1 GB (the test stack's is 736
   * MB), whose half is what decoding may take:
   *
   * <ul>
   *   <li>a 64-megapixel JPEG, which must be indexed: decoded one byte per sample it needs 192 MB;
   *   <li>a 100-megapixel GIF of 0.1 MB, within a pixel limit of 120 million but needing 600 MB to
   *       decode and thumbnail: rejected as a bomb, with the figures;
   *   <li>a 64-megapixel PNG with alpha, whose thumbnails OpenCV makes off the heap but whose
   *       preprocessing for the model needs 512 MB, and a copy of it under another URL: both
   *       rejected as bombs when analysed, so that the copy is not merged into an image the
   *       embedder would never index.
   * </ul>
   *
   * The job must be run with {@code model.max-pixels} of at least 100 million.
   */
  Corpus withLargeImages() {
    BufferedImage photo;
    byte[] bytes;
    long hash;
    int seed = -2;
    do {
      BufferedImage small = meme(new Random(seed--), -2);
      photo = new BufferedImage(8000, 8000, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = photo.createGraphics();
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(small, 0, 0, 8000, 8000, null);
      g.dispose();
      bytes = jpeg(photo, 0.9f);
      hash = phash(bytes);
    } while (near(hashes, hash, 16));
    hashes.add(hash);
    files.put("/big/photo.jpg", bytes);
    good.put(base + "/big/photo.jpg", bytes);
    BufferedImage flat = new BufferedImage(10_000, 10_000, BufferedImage.TYPE_BYTE_INDEXED);
    Graphics2D g = flat.createGraphics();
    g.setColor(Color.RED);
    g.fillRect(0, 0, 10_000, 5_000);
    g.dispose();
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(flat, "gif", out);
      files.put("/bad/heap-bomb.gif", out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    hostile.put(base + "/bad/heap-bomb.gif", "bomb");
    BufferedImage alpha = new BufferedImage(8000, 8000, BufferedImage.TYPE_INT_ARGB);
    g = alpha.createGraphics();
    g.setPaint(new GradientPaint(0, 0, new Color(255, 0, 0, 40), 8000, 8000, Color.BLUE));
    g.fillRect(0, 0, 8000, 8000);
    g.dispose();
    byte[] alphaPng = png(alpha);
    files.put("/big/alpha.png", alphaPng);
    files.put("/big/alpha-copy.png", alphaPng);
    hostile.put(base + "/big/alpha.png", "bomb");
    hostile.put(base + "/big/alpha-copy.png", "bomb");
    return this;
  }

  static long phash(byte[] bytes) {
    try {
      return io.memescope.core.image.PerceptualHash.of(
          new io.memescope.core.embed.ImageDecoder().decode(bytes));
    } catch (io.memescope.core.embed.ImageDecodeException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean near(java.util.List<Long> hashes, long hash, int distance) {
    return hashes.stream().anyMatch(h -> Long.bitCount(h ^ hash) < distance);
  }

  private static void redirect(HttpExchange e, String location) throws IOException {
    e.getResponseHeaders().add("Location", location);
    e.sendResponseHeaders(302, -1);
  }

  /** A picture of random shapes under a gradient, with a caption: different for every seed. */
  static BufferedImage meme(Random random, int n) {
    int w = 160 + random.nextInt(160);
    int h = 120 + random.nextInt(160);
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setPaint(
        new GradientPaint(
            random.nextInt(w),
            0,
            new Color(random.nextInt()),
            random.nextInt(w),
            h,
            new Color(random.nextInt())));
    g.fillRect(0, 0, w, h);
    for (int i = 0; i < 6; i++) {
      g.setColor(new Color(random.nextInt()));
      int x = random.nextInt(w);
      int y = random.nextInt(h);
      int s = 20 + random.nextInt(Math.min(w, h) / 2);
      if (random.nextBoolean()) {
        g.fillOval(x - s / 2, y - s / 2, s, s);
      } else {
        g.fillRect(x - s / 2, y - s / 2, s, s / 2 + random.nextInt(s));
      }
    }
    g.setStroke(new BasicStroke(3));
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(14, w / 10)));
    g.setColor(Color.WHITE);
    g.drawString("MEME " + n, 8, Math.max(20, w / 10));
    g.drawString(n % 2 == 0 ? "SUCH INGEST" : "VERY WOW", 8, h - 10);
    g.dispose();
    return image;
  }

  static byte[] png(BufferedImage image) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] jpeg(BufferedImage image, float quality) {
    try {
      ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (var stream = ImageIO.createImageOutputStream(out)) {
        writer.setOutput(stream);
        writer.write(null, new IIOImage(image, null, null), param);
      }
      writer.dispose();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A small PNG whose header claims 30000 × 30000 pixels (with a valid CRC). */
  static byte[] bomb() {
    byte[] png = png(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB));
    ByteBuffer.wrap(png).putInt(16, 30_000).putInt(20, 30_000);
    CRC32 crc = new CRC32();
    crc.update(png, 12, 17);
    ByteBuffer.wrap(png).putInt(29, (int) crc.getValue());
    return png;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
