package io.memescope.bench;

import io.memescope.core.embed.ImageDecodeException;
import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.embed.PilImage;
import io.memescope.core.image.ImageAnalysis;
import io.memescope.core.image.NativeCodecs;
import io.memescope.core.image.Thumbnailer;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The ingest job's two decodes of one large photo-like file, through OpenCV: the embedder's ({@code
 * decode}: samples on the heap, with the budgets reserved) and the analysing stage's ({@code
 * analyse}: hash and thumbnails). Milliseconds per file.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LargeImageBenchmark {
  /** Width x height of the generated file. */
  @Param({"4000x3000"})
  public String size;

  /** {@code jpeg} or {@code png} (RGBA). */
  @Param({"jpeg", "png"})
  public String format;

  byte[] file;
  ImageDecoder decoder;

  @Setup
  public void generate() throws IOException {
    if (!NativeCodecs.available()) {
      throw new IllegalStateException(
          "OpenCV's natives are not available here (" + NativeCodecs.problem() + ")");
    }
    String[] wh = size.split("x");
    int w = Integer.parseInt(wh[0]);
    int h = Integer.parseInt(wh[1]);
    boolean png = format.equals("png");
    BufferedImage image =
        new BufferedImage(w, h, png ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setPaint(new GradientPaint(0, 0, new Color(200, 30, 40), w, h, new Color(20, 90, 220)));
    g.fillRect(0, 0, w, h);
    g.setColor(new Color(250, 250, 20, 128));
    g.fillOval(w / 4, h / 4, w / 2, h / 2);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, format, out);
    file = out.toByteArray();
    decoder = new ImageDecoder();
  }

  @Benchmark
  public int decode() throws ImageDecodeException {
    return decoder.decode(file, mode -> 0, PilImage::width);
  }

  @Benchmark
  public int analyse() throws ImageDecodeException {
    return ImageAnalysis.of(decoder, file, Thumbnailer.SIZES).width();
  }
}
