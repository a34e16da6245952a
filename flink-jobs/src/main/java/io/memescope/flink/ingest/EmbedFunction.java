package io.memescope.flink.ingest;

import io.memescope.core.config.ModelSettings;
import io.memescope.core.embed.ClipEncoder;
import io.memescope.core.embed.ClipPreprocessor;
import io.memescope.core.embed.EncoderOptions;
import io.memescope.core.embed.ImageDecodeException;
import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.fetch.RejectReason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds new images in micro-batches: elements arrive through Flink's async I/O; {@code
 * preprocessThreads} threads decode each and preprocess it for the model; a batcher thread takes up
 * to {@code model.batch-size} prepared images, waiting at most {@code embedMaxWait} for a batch to
 * fill, runs one forward pass, and completes each element's future with its vector. The model's
 * thread thus only runs forward passes: Pillow-exact preprocessing costs several times the tiny
 * model's forward pass, and on its thread it would cap the subtask at one core's worth of it. An
 * image the model's decoder refuses is rejected alone. Latency is bounded by the wait, and nothing
 * is lost at a checkpoint: the async operator stores the elements still in flight in the checkpoint
 * and hands them in again after a restore.
 *
 * <p>The device comes from the TaskManager: when the cluster offers Flink's {@code gpu} external
 * resource, the GPU index assigned to this slot is used; otherwise the configured {@code
 * model.device} (by default, a GPU if DJL sees one, else the CPU).
 */
final class EmbedFunction extends RichAsyncFunction<Candidate, IndexEffect> {
  private static final Logger LOG = LoggerFactory.getLogger(EmbedFunction.class);

  private final String modelDir;
  private final String configuredDevice;
  private final int batchSize;
  private final int workers;
  private final long maxPixels;
  private final Duration maxWait;
  private final int preprocessThreads;
  private transient ClipEncoder encoder;
  private transient ImageDecoder decoder;
  private transient ExecutorService preprocessors;
  private transient BlockingQueue<Pending> queue;
  private transient Thread batcher;
  // Forward-pass time and size of each batch (a summary with quantiles in Prometheus).
  private transient org.apache.flink.metrics.Histogram batchMillis;
  private transient org.apache.flink.metrics.Histogram batchImages;
  private transient volatile boolean closing;
  // Set when the batcher thread ends on an Error: what every image after it fails with.
  private transient volatile Throwable failed;

  /** An image ready for the model: its candidate, its preprocessed pixels, and its future. */
  private record Pending(Candidate candidate, float[] pixels, ResultFuture<IndexEffect> result) {}

  EmbedFunction(ModelSettings model, Duration maxWait, int preprocessThreads) {
    this.modelDir = model.dir().toString();
    this.configuredDevice = model.device();
    this.batchSize = model.batchSize();
    this.workers = model.workers();
    this.maxPixels = model.maxPixels();
    this.maxWait = maxWait;
    this.preprocessThreads = preprocessThreads;
  }

  @Override
  public void open(OpenContext context) throws Exception {
    String device = configuredDevice;
    var gpus = getRuntimeContext().getExternalResourceInfos("gpu");
    if (!gpus.isEmpty()) {
      ExternalResourceInfo gpu = gpus.iterator().next();
      device = "gpu:" + gpu.getProperty("index").orElse("0");
    }
    EncoderOptions options = new EncoderOptions(device, batchSize, workers, maxPixels);
    encoder = ClipEncoder.load(Path.of(modelDir), options);
    decoder = new ImageDecoder(maxPixels);
    LOG.info("embedding with {} on {}", modelDir, encoder.device());
    var metrics = getRuntimeContext().getMetricGroup();
    batchMillis =
        metrics.histogram(
            "embed_batch_ms",
            new org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram(1000));
    batchImages =
        metrics.histogram(
            "embed_batch_images",
            new org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram(1000));
    queue = new LinkedBlockingQueue<>();
    AtomicInteger threads = new AtomicInteger();
    preprocessors =
        Executors.newFixedThreadPool(
            preprocessThreads,
            r -> {
              Thread t = new Thread(r, "embed-preprocess-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    batcher = new Thread(this::loop, "embed-batcher");
    batcher.setDaemon(true);
    batcher.start();
  }

  @Override
  public void asyncInvoke(Candidate candidate, ResultFuture<IndexEffect> result) {
    Throwable f = failed;
    if (f != null) {
      result.completeExceptionally(f); // the batcher is gone: fail the job now, not in 10 minutes
      return;
    }
    preprocessors.execute(() -> prepare(candidate, result));
  }

  /** Decodes and preprocesses one image for the batcher; one the decoder refuses is rejected. */
  private void prepare(Candidate candidate, ResultFuture<IndexEffect> result) {
    float[] pixels;
    try {
      pixels =
          decoder.decode(
              candidate.bytes(),
              ClipPreprocessor::heapBytesPerPixel,
              encoder.preprocessor()::apply);
    } catch (ImageDecodeException e) {
      // Analyze decoded it already, but for thumbnails: the model's preprocessing can need more
      // memory than this process sets aside (a large image with alpha), or other decoder settings.
      result.complete(
          List.of(
              IndexEffect.rejected(
                  rejection(candidate, RejectReason.of(e.reason()), e.getMessage()))));
      return;
    } catch (CancellationException e) {
      // Interrupted while waiting for decoding memory: the operator is closing, and the image is
      // not bad. Its future fails; the job does not commit it.
      result.completeExceptionally(e);
      return;
    } catch (RuntimeException | OutOfMemoryError e) {
      result.complete(
          List.of(
              IndexEffect.rejected(rejection(candidate, RejectReason.DECODE_ERROR, e.toString()))));
      return;
    }
    queue.add(new Pending(candidate, pixels, result));
    Throwable f = failed;
    if (f != null) {
      // The batcher ended after the check above: nothing will take this one.
      drain(f);
    }
  }

  private void drain(Throwable error) {
    for (Pending p; (p = queue.poll()) != null; ) {
      p.result().completeExceptionally(error);
    }
  }

  private static Rejection rejection(Candidate candidate, RejectReason reason, String message) {
    return Rejection.of(candidate.info(), "embed", reason.code(), message);
  }

  private void loop() {
    List<Pending> batch = new ArrayList<>();
    while (!closing) {
      try {
        Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        long deadline = System.nanoTime() + maxWait.toNanos();
        while (batch.size() < batchSize) {
          long left = deadline - System.nanoTime();
          Pending next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
          if (next == null) {
            break;
          }
          batch.add(next);
        }
        long t0 = System.nanoTime();
        embed(batch);
        batchMillis.update((System.nanoTime() - t0) / 1_000_000);
        batchImages.update(batch.size());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException | Error e) {
        // Fails the job, which restores and embeds these again. An Error (out of memory) must not
        // end this thread quietly: every image after it would wait for the 10-minute timeout.
        batch.forEach(p -> p.result().completeExceptionally(e));
        if (e instanceof Error error) {
          failed = error;
          drain(error);
          throw error;
        }
      }
      batch.clear();
    }
  }

  /** One forward pass for the batch. */
  private void embed(List<Pending> batch) {
    List<float[]> pixels = new ArrayList<>(batch.size());
    batch.forEach(p -> pixels.add(p.pixels()));
    float[][] vectors = encoder.embedPreprocessed(pixels);
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      p.result()
          .complete(
              List.of(
                  finite(vectors[i])
                      ? IndexEffect.created(p.candidate(), vectors[i])
                      : IndexEffect.rejected(
                          rejection(
                              p.candidate(),
                              RejectReason.EMBED_ERROR,
                              "the model's embedding holds a value that is not a finite number"))));
    }
  }

  /**
   * Whether every value of {@code vector} is a finite number. One that is not could be stored
   * nowhere: the index sink's JSON refuses NaN, so its commit failed on every retry and held every
   * later image behind it, for good (until 2026-12-07).
   */
  static boolean finite(float[] vector) {
    for (float v : vector) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() throws Exception {
    closing = true;
    if (preprocessors != null) {
      preprocessors.shutdownNow();
      preprocessors.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (batcher != null) {
      batcher.interrupt();
      batcher.join(10_000);
    }
    if (encoder != null) {
      encoder.close();
    }
  }
}
