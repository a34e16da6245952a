package io.memescope.core.image;

import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.embed.PilImage;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/** Generated test pictures (drawn with Java2D, so no binary fixtures) and conversions. */
public final class TestImages {
  private static final String[] WORDS = {
    "WHEN THE", "BUILD", "IS GREEN", "ONE DOES NOT", "SIMPLY", "DEPLOY ON FRIDAY", "NOBODY:", "ME:"
  };

  private TestImages() {}

  /**
   * A gradient with a translucent disc, of {@code type} ({@link BufferedImage#TYPE_INT_ARGB} and
   * the like): compresses like a picture, not like a flat fill. For the decoding-memory tests,
   * where only the size and the kind of file matter.
   */
  public static BufferedImage picture(int width, int height, int type) {
    BufferedImage image = new BufferedImage(width, height, type);
    Graphics2D g = image.createGraphics();
    g.setPaint(
        new GradientPaint(0, 0, new Color(200, 30, 40), width, height, new Color(20, 90, 220)));
    g.fillRect(0, 0, width, height);
    g.setColor(new Color(250, 250, 20, 128));
    g.fillOval(width / 4, height / 4, width / 2, height / 2);
    g.dispose();
    return image;
  }

  /**
   * A meme-like picture: a gradient background, a few filled and outlined shapes, and white
   * captions with a black outline at the top and bottom. Each seed gives a different picture.
   */
  static BufferedImage meme(long seed, int width, int height) {
    Random random = new Random(seed);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setPaint(
          new GradientPaint(
              random.nextInt(width),
              random.nextInt(height),
              randomColour(random),
              random.nextInt(width),
              random.nextInt(height),
              randomColour(random)));
      g.fillRect(0, 0, width, height);
      for (int i = 0; i < 6; i++) {
        g.setColor(randomColour(random));
        int w = width / 6 + random.nextInt(width / 2);
        int h = height / 6 + random.nextInt(height / 2);
        int x = random.nextInt(width) - w / 3;
        int y = random.nextInt(height) - h / 3;
        switch (random.nextInt(3)) {
          case 0 -> g.fillOval(x, y, w, h);
          case 1 -> g.fillRect(x, y, w, h);
          default -> {
            g.setStroke(new BasicStroke(4 + random.nextInt(12)));
            g.drawLine(x, y, x + w, y + h);
          }
        }
      }
      caption(g, WORDS[random.nextInt(WORDS.length)], width, height, true);
      caption(g, WORDS[random.nextInt(WORDS.length)], width, height, false);
    } finally {
      g.dispose();
    }
    return image;
  }

  private static Color randomColour(Random random) {
    return new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256));
  }

  private static void caption(Graphics2D g, String text, int width, int height, boolean top) {
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(8, height / 9)));
    FontMetrics metrics = g.getFontMetrics();
    int x = Math.max(0, (width - metrics.stringWidth(text)) / 2);
    int y = top ? metrics.getAscent() + height / 40 : height - metrics.getDescent() - height / 40;
    g.setColor(Color.BLACK);
    for (int dx = -2; dx <= 2; dx += 2) {
      for (int dy = -2; dy <= 2; dy += 2) {
        g.drawString(text, x + dx, y + dy);
      }
    }
    g.setColor(Color.WHITE);
    g.drawString(text, x, y);
  }

  /** The picture as an RGB {@link PilImage}, as the decoder gives it for a lossless file. */
  static PilImage pil(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
    int[] pixels = new int[w * h * 3];
    for (int i = 0; i < argb.length; i++) {
      pixels[i * 3] = (argb[i] >> 16) & 0xff;
      pixels[i * 3 + 1] = (argb[i] >> 8) & 0xff;
      pixels[i * 3 + 2] = argb[i] & 0xff;
    }
    return PilImage.ofSamples("RGB", w, h, pixels, null);
  }

  /** The picture through a JPEG encoder at {@code quality} (0..1) and the project's decoder. */
  static PilImage jpegRoundTrip(BufferedImage image, float quality) throws Exception {
    return new ImageDecoder().decode(jpeg(image, quality));
  }

  static byte[] jpeg(BufferedImage image, float quality) {
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
    ImageWriter writer = writers.next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.setOutput(out);
      writer.write(null, new IIOImage(image, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }

  /** The picture scaled to {@code width x height} with Java2D's bicubic interpolation. */
  static BufferedImage scaled(BufferedImage image, int width, int height) {
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
      g.drawImage(image, 0, 0, width, height, null);
    } finally {
      g.dispose();
    }
    return out;
  }
}
