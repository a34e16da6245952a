package io.memescope.core.image;

import io.memescope.core.embed.DecodeMemory;
import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.embed.PilImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Run in a JVM of its own by {@link NativeMemoryTest}, with its heap touched in full at start-up
 * ({@code -XX:+AlwaysPreTouch}), so that what the process's resident memory grows by is native
 * memory: decodes one file as asked and prints the peak growth and what the footprint formulas
 * reserve for it, in bytes: {@code growth reserved}.
 *
 * <p>Arguments: the file, and {@code analyse} ({@link NativeCodecs#analyse}), {@code decode}
 * ({@link NativeCodecs#decode}) or {@code thumbnails} ({@link Thumbnailer#of} of the file decoded
 * by ImageIO beforehand).
 */
public final class NativeFootprintProbe {
  private NativeFootprintProbe() {}

  public static void main(String[] args) throws Exception {
    byte[] bytes = Files.readAllBytes(Path.of(args[0]));
    String op = args[1];
    ImageDecoder decoder =
        new ImageDecoder(
            200_000_000L, true, new DecodeMemory(1L << 30), DecodeMemory.ofNative(1L << 30));
    ImageDecoder.WellFormed file = decoder.wellFormed(bytes);
    if (!NativeCodecs.available() || (file == null && !op.equals("thumbnails"))) {
      throw new IllegalStateException("not a file for OpenCV here: " + args[0]);
    }
    List<int[]> targets = List.of(new int[] {384, 288}, new int[] {192, 144});
    // The natives loaded and their code run, on an image too small to move the measure,
    byte[] small = TestImages.jpeg(TestImages.meme(1, 640, 480), 0.9f);
    for (int i = 0; i < 3; i++) { // and the Java code of each path compiled
      NativeCodecs.analyse(small, 3, targets, 85);
      NativeCodecs.decode(small, 3);
      Thumbnailer.of(decoder.decodeWithoutNatives(small, m -> 0, p -> p), Thumbnailer.SIZES);
    }
    PilImage decoded =
        op.equals("thumbnails") ? decoder.decodeWithoutNatives(bytes, m -> 0, i -> i) : null;
    long reserved;
    Runnable work;
    switch (op) {
      case "analyse" -> {
        reserved = NativeCodecs.analysisFootprint(file, bytes.length);
        work = () -> NativeCodecs.analyse(bytes, file.channels(), targets, 85);
      }
      case "decode" -> {
        reserved = NativeCodecs.decodeFootprint(file, bytes.length);
        work = () -> NativeCodecs.decode(bytes, file.channels());
      }
      case "thumbnails" -> {
        reserved = NativeCodecs.thumbnailsFootprint(decoded.width(), decoded.height());
        work = () -> Thumbnailer.of(decoded, Thumbnailer.SIZES);
      }
      default -> throw new IllegalArgumentException(op);
    }
    System.gc();
    Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // the peak starts again from here
    long before = status("VmRSS:");
    work.run();
    System.out.println((status("VmHWM:") - before) + " " + reserved);
  }

  /** A line of /proc/self/status, in bytes. */
  private static long status(String key) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(key)) {
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    }
    throw new IllegalStateException(key + " not in /proc/self/status");
  }
}
