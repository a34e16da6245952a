package io.memescope.core.image;

import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.embed.PilImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java side of {@code infra/bench/near-dup.sh}: hashes every file of the set that {@code
 * infra/bench/near_dup.py generate} wrote, with the project's decoder and {@link PerceptualHash},
 * into {@code ours.csv} next to the manifest, in imagehash's hex form. Not a unit test: it needs
 * the generated set.
 *
 * <pre>java -cp core/target/test-classes:... io.memescope.core.image.NearDupBenchmark DIR</pre>
 */
public final class NearDupBenchmark {
  private NearDupBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: NearDupBenchmark DIR (with DIR/manifest.csv)");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    List<String> files = new ArrayList<>();
    List<String> lines = Files.readAllLines(dir.resolve("manifest.csv"), StandardCharsets.UTF_8);
    for (String line : lines.subList(1, lines.size())) {
      files.add(line.substring(0, line.indexOf(',')));
    }
    ImageDecoder decoder = new ImageDecoder();
    List<PilImage> images = new ArrayList<>();
    long decodeNanos = 0;
    for (String file : files) {
      byte[] bytes = Files.readAllBytes(dir.resolve(file));
      long start = System.nanoTime();
      images.add(decoder.decode(bytes));
      decodeNanos += System.nanoTime() - start;
    }
    long[] hashes = new long[files.size()];
    // Three rounds so the JIT has compiled the hash before the last one is timed.
    long hashNanos = 0;
    for (int round = 0; round < 3; round++) {
      long start = System.nanoTime();
      for (int i = 0; i < images.size(); i++) {
        hashes[i] = PerceptualHash.of(images.get(i));
      }
      hashNanos = System.nanoTime() - start;
    }
    try (PrintWriter out =
        new PrintWriter(Files.newBufferedWriter(dir.resolve("ours.csv"), StandardCharsets.UTF_8))) {
      out.println("file,hash");
      for (int i = 0; i < files.size(); i++) {
        out.println(files.get(i) + "," + PerceptualHash.toHex(hashes[i]));
      }
    } catch (IOException e) {
      throw new IOException("cannot write ours.csv in " + dir, e);
    }
    System.out.printf(
        "PerceptualHash: %d files; decode %.2f ms per file (first pass, cold JIT), hash %.3f ms"
            + " per file (third pass)%n",
        files.size(), decodeNanos / 1e6 / files.size(), hashNanos / 1e6 / files.size());
  }
}
