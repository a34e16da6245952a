package io.memescope.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.embed.ClipEncoder;
import io.memescope.core.embed.EncoderOptions;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Query vectors with the committed tiny model, and what a search holds while it waits. */
class QueryVectorsTest {
  private static Path tinyModel() {
    String root = System.getProperty("memescope.root");
    Path base = root != null ? Path.of(root) : Path.of("..");
    return base.resolve("models").resolve("tiny").toAbsolutePath().normalize();
  }

  /** A noise PNG: it hardly compresses, so its bytes are about 3 per pixel. */
  private static byte[] noisePng(int side) throws Exception {
    BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(3);
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        image.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  private static SearchRequest.Term text(String text) {
    return new SearchRequest.Term(text, null, null, null, 1f);
  }

  private static SearchRequest.Term image(byte[] bytes) {
    return new SearchRequest.Term(null, bytes, null, null, 1f);
  }

  @Test
  void a_search_waiting_to_embed_a_text_counts_the_images_it_holds_cached_ones_too()
      throws Exception {
    byte[] png = noisePng(320); // about 300 kB: held 4 times over, 1.2 MB
    assertThat(png.length * QueryVectors.HELD_PER_BYTE).isGreaterThan(1 << 20);
    ModelGate gate = new ModelGate(1, Duration.ofSeconds(30), 8, 1 << 20);
    ExecutorService threads = Executors.newFixedThreadPool(3);
    try (ClipEncoder encoder =
        ClipEncoder.load(tinyModel(), new EncoderOptions("cpu", 1, 1, 1_000_000))) {
      QueryVectors vectors = new QueryVectors(encoder, null, 100, kind -> {}, gate);
      // The image's embedding is cached: later searches with it never wait for the image tower.
      float[] alone = vectors.combine(List.of(image(png)));
      assertThat(alone).hasSize(vectors.dimension());

      // The model busy with another query.
      CountDownLatch inside = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Boolean> busy =
          CompletableFuture.supplyAsync(
              () ->
                  gate.run(
                      () -> {
                        inside.countDown();
                        try {
                          return release.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          throw new IllegalStateException(e);
                        }
                      }),
              threads);
      CompletableFuture<float[]> first = null;
      try {
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
        // One search with the cached image and a new text waits, holding the image: alone in the
        // line it may hold more than the line's memory.
        first =
            CompletableFuture.supplyAsync(
                () -> vectors.combine(List.of(image(png), text("a cat"))), threads);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gate.waiting() < 1) {
          assertThat(System.nanoTime()).as("waiting within 10 s").isLessThan(deadline);
          Thread.sleep(10);
        }
        assertThat(gate.waitingBytes())
            .as("the image it holds, counted while it waits for the text tower")
            .isEqualTo((long) QueryVectors.HELD_PER_BYTE * png.length);
        // A second one would go past it: refused at once, not left waiting with its image.
        CompletableFuture<float[]> second =
            CompletableFuture.supplyAsync(
                () -> vectors.combine(List.of(image(png), text("a dog"))), threads);
        try {
          second.get(5, TimeUnit.SECONDS);
          throw new AssertionError("the second search was not refused");
        } catch (ExecutionException e) {
          assertThat(e.getCause())
              .isInstanceOfSatisfying(
                  ApiException.class,
                  a -> {
                    assertThat(a.status()).isEqualTo(503);
                    assertThat(a.getMessage()).contains("MiB of images are waiting");
                  });
        }
      } finally {
        release.countDown();
      }
      assertThat(busy.get(10, TimeUnit.SECONDS)).isTrue();
      assertThat(first.get(10, TimeUnit.SECONDS)).hasSize(vectors.dimension());
      assertThat(gate.waitingBytes()).isZero();
    } finally {
      threads.shutdownNow();
    }
  }
}
