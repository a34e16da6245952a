package io.memescope.bench;

import io.memescope.core.embed.ClipEncoder;
import io.memescope.core.embed.ClipPreprocessor;
import io.memescope.core.embed.EncoderOptions;
import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.embed.PilImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Encoder throughput on CPU: one operation is one batch of {@code batch} inputs, so inputs per
 * second = operations per second x batch. Threads (JMH {@code -t}) share one encoder with as many
 * predictors as threads, as the ingest job and serving do.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EmbeddingBenchmark {
  @Param("models/tiny")
  public String model;

  @Param({"1", "8", "32"})
  public int batch;

  @Param("1")
  public int workers;

  ClipEncoder encoder;
  List<float[]> images;
  List<String> texts;
  List<byte[]> files;
  List<PilImage> decoded;
  final java.util.concurrent.atomic.AtomicInteger next =
      new java.util.concurrent.atomic.AtomicInteger();

  @Setup(Level.Trial)
  public void load() throws IOException {
    encoder =
        ClipEncoder.load(
            Path.of(model),
            new EncoderOptions("cpu", batch, workers, ImageDecoder.DEFAULT_MAX_PIXELS));
    Path golden = Path.of("models/tiny/golden");
    files = new ArrayList<>();
    try (var stream = Files.list(golden)) {
      for (Path p :
          stream
              .filter(p -> p.toString().matches(".*\\.(jpg|png|gif|webp|bmp)"))
              .sorted()
              .toList()) {
        files.add(Files.readAllBytes(p));
      }
    }
    ImageDecoder decoder = new ImageDecoder();
    decoded = new ArrayList<>();
    for (byte[] file : files) {
      try {
        decoded.add(decoder.decode(file));
      } catch (io.memescope.core.embed.ImageDecodeException e) {
        throw new IOException(e);
      }
    }
    images = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      try {
        PilImage image = decoder.decode(files.get(i % files.size()));
        images.add(encoder.preprocessor().apply(image));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    texts = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      texts.add("one does not simply benchmark meme number " + i);
    }
  }

  @TearDown(Level.Trial)
  public void close() {
    encoder.close();
  }

  /** Image tower only: preprocessed tensors in, vectors out. */
  @Benchmark
  public float[][] imageTower() {
    return encoder.embedPreprocessed(images);
  }

  /** Tokenisation and text tower. */
  @Benchmark
  public float[][] texts() {
    return encoder.embedTexts(texts);
  }

  /** Pillow-exact preprocessing alone of one decoded file (batch-independent). */
  @Benchmark
  public float[] preprocess() {
    return encoder.preprocessor().apply(decoded.get(next.getAndIncrement() % decoded.size()));
  }

  /**
   * Decoding and Pillow-exact preprocessing of one file (batch-independent), as the ingest job's
   * embedder does it: within the process's decoding budget.
   */
  @Benchmark
  public float[] decodeAndPreprocess() throws Exception {
    byte[] bytes = files.get(next.getAndIncrement() % files.size());
    return new ImageDecoder()
        .decode(bytes, ClipPreprocessor::heapBytesPerPixel, encoder.preprocessor()::apply);
  }
}
