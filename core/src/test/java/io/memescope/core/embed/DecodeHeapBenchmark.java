package io.memescope.core.embed;

import io.memescope.core.config.ModelSettings;
import io.memescope.core.image.ImageAnalysis;
import io.memescope.core.image.TestImages;
import io.memescope.core.image.Thumbnailer;
import io.memescope.core.model.ModelMetadata;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * The Java side of {@code infra/bench/decode-heap.sh}: writes large images of each decoding path
 * ({@code generate DIR SIDE}), or decodes one of them once as the ingest job does, for its
 * thumbnails or for the model ({@code run FILE thumbnails|embed MODEL_DIR}), and says how it went:
 * {@code ok}, {@code refused: ...} (the decoding budget, {@link DecodeMemory}) or {@code
 * out-of-memory}. The script runs it under smaller and smaller heaps. Not a unit test.
 */
public final class DecodeHeapBenchmark {
  private DecodeHeapBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("generate")) {
      Path dir = Files.createDirectories(Path.of(args[1]));
      int side = Integer.parseInt(args[2]);
      write(dir, "photo.jpg", encode(picture(side, "RGB"), "jpeg"));
      write(dir, "alpha.png", encode(picture(side, "RGBA"), "png"));
      write(dir, "palette.png", encode(picture(side, "P"), "png"));
      write(dir, "palette.gif", encode(picture(side, "P"), "gif"));
      return;
    }
    if (args.length < 3 || !args[0].equals("run")) {
      System.err.println(
          "usage: DecodeHeapBenchmark generate DIR SIDE"
              + " | run FILE thumbnails | run FILE embed MODEL_DIR");
      System.exit(2);
    }
    byte[] bytes = Files.readAllBytes(Path.of(args[1]));
    // The largest pixel limit the settings allow, so that only the heap limits the decode.
    ImageDecoder decoder = new ImageDecoder(ModelSettings.MAX_PIXELS_LIMIT);
    try {
      if (args[2].equals("thumbnails")) {
        ImageAnalysis.of(decoder, bytes, Thumbnailer.SIZES);
      } else {
        ClipPreprocessor preprocessor = new ClipPreprocessor(ModelMetadata.read(Path.of(args[3])));
        decoder.decode(bytes, ClipPreprocessor::heapBytesPerPixel, preprocessor::apply);
      }
      System.out.println("ok");
    } catch (ImageDecodeException e) {
      System.out.println("refused: " + e.getMessage());
    } catch (OutOfMemoryError e) {
      System.out.println("out-of-memory");
    }
  }

  private static BufferedImage picture(int side, String mode) {
    int type =
        switch (mode) {
          case "RGBA" -> BufferedImage.TYPE_INT_ARGB;
          case "P" -> BufferedImage.TYPE_BYTE_INDEXED;
          default -> BufferedImage.TYPE_INT_RGB;
        };
    return TestImages.picture(side, side, type);
  }

  private static byte[] encode(BufferedImage image, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(image, format, out)) {
      throw new IllegalStateException("no writer for " + format);
    }
    return out.toByteArray();
  }

  private static void write(Path dir, String name, byte[] bytes) throws Exception {
    Files.write(dir.resolve(name), bytes);
    System.out.printf("%s: %d bytes%n", name, bytes.length);
  }
}
