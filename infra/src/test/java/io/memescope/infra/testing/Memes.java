package io.memescope.infra.testing;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import javax.imageio.ImageIO;

/** Generated meme-like pictures: a random background with shapes and a bold outlined caption. */
public final class Memes {
  public static final String[] WORDS = {
    "cat", "dog", "build", "monday", "coffee", "deploy", "friday", "bug", "pizza", "rain"
  };

  private Memes() {}

  public static BufferedImage meme(long seed, String caption) {
    Random r = new Random(seed);
    int w = 200 + r.nextInt(240);
    int h = 160 + r.nextInt(240);
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setPaint(new java.awt.GradientPaint(0, 0, color(r), w, h, color(r)));
    g.fillRect(0, 0, w, h);
    for (int i = 0; i < 6; i++) {
      g.setColor(color(r));
      int x = r.nextInt(w);
      int y = r.nextInt(h);
      if (r.nextBoolean()) {
        g.fillOval(x, y, 20 + r.nextInt(w / 2), 20 + r.nextInt(h / 2));
      } else {
        g.fillRect(x, y, 20 + r.nextInt(w / 2), 20 + r.nextInt(h / 2));
      }
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(18, w / 10)));
    FontMetrics fm = g.getFontMetrics();
    String text = caption.toUpperCase(java.util.Locale.ROOT);
    int x = Math.max(4, (w - fm.stringWidth(text)) / 2);
    int y = h - fm.getDescent() - 8;
    var outline = g.getFont().createGlyphVector(g.getFontRenderContext(), text).getOutline(x, y);
    g.setStroke(new BasicStroke(4));
    g.setColor(Color.BLACK);
    g.draw(outline);
    g.setColor(Color.WHITE);
    g.fill(outline);
    g.dispose();
    return image;
  }

  public static byte[] encode(BufferedImage image, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, format, out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Color color(Random r) {
    return new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256));
  }
}
