package io.memescope.flink.ingest;

import io.memescope.core.embed.ClipPreprocessor;
import io.memescope.core.embed.DecodeMemory;
import io.memescope.core.embed.ImageDecodeException;
import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.fetch.RejectReason;
import io.memescope.core.image.ImageAnalysis;
import io.memescope.core.image.Thumbnailer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Turns fetched bytes into a {@link Candidate}: decoded safely (the pixel count is checked from the
 * header, so a decompression bomb is refused before any pixel is decoded; an animated GIF gives its
 * first frame), hashed (SHA-256 and a 64-bit perceptual hash), and thumbnailed in two sizes.
 * Anything that fails goes to the rejects with its reason.
 */
final class Analyze extends ProcessFunction<Fetched, Candidate> {
  private final long maxPixels;
  private transient ImageDecoder decoder;
  private transient Counters rejects;

  /** The chained fetch stage's budget, which each body read goes back to once analysed. */
  private transient HeldBodies held;

  @Override
  public void open(org.apache.flink.api.common.functions.OpenContext context) {
    decoder = new ImageDecoder(maxPixels);
    rejects = new Counters(getRuntimeContext().getMetricGroup(), "rejects");
    // The TaskManager's decoding budgets (one per JVM, every subtask reports the same): how full
    // they are shows whether decodes wait for memory.
    org.apache.flink.metrics.MetricGroup metrics = getRuntimeContext().getMetricGroup();
    DecodeMemory heap = DecodeMemory.shared();
    DecodeMemory offHeap = decoder.nativeMemory();
    metrics.gauge("decode_heap_capacity_bytes", (Gauge<Long>) heap::capacity);
    metrics.gauge("decode_heap_reserved_bytes", (Gauge<Long>) heap::reserved);
    metrics.gauge("decode_native_capacity_bytes", (Gauge<Long>) offHeap::capacity);
    metrics.gauge("decode_native_reserved_bytes", (Gauge<Long>) offHeap::reserved);
  }

  private void reject(Context ctx, Rejection rejection) {
    rejects.inc(rejection.reason());
    ctx.output(IngestJob.REJECTS, rejection);
  }

  Analyze(long maxPixels) {
    this.maxPixels = maxPixels;
  }

  @Override
  public void processElement(Fetched fetched, Context ctx, Collector<Candidate> out) {
    if (fetched.rejection() != null) {
      reject(ctx, fetched.rejection());
      return;
    }
    if (held == null) {
      held = HeldBodies.ofThisThread();
      if (held == null) {
        // Without it the fetch would stop for good once its budget filled.
        throw new IllegalStateException(
            "the fetch stage is not chained to this one, so the fetched bodies it holds would never"
                + " be given back: the ingest job needs operator chaining"
                + " (pipeline.operator-chaining.enabled) on");
      }
    }
    try {
      analyze(fetched, ctx, out);
    } finally {
      // Handed on (a copy into the network buffers, or rejected): the fetch may read another.
      held.release(fetched.bytes().length);
    }
  }

  private void analyze(Fetched fetched, Context ctx, Collector<Candidate> out) {
    UrlInfo info = fetched.info();
    ImageAnalysis image;
    try {
      // An image the embedder's preprocessing could never fit in this process's heap is refused
      // here, before the de-duplicator records it: otherwise copies of it would be merged into an
      // image that is never indexed.
      decoder.checkFits(fetched.bytes(), ClipPreprocessor::heapBytesPerPixel);
      image = ImageAnalysis.of(decoder, fetched.bytes(), Thumbnailer.SIZES);
    } catch (ImageDecodeException e) {
      reject(ctx, Rejection.of(info, "decode", RejectReason.of(e.reason()).code(), e.getMessage()));
      return;
    } catch (java.util.concurrent.CancellationException e) {
      throw e; // interrupted while waiting for decoding memory: the task is being cancelled
    } catch (RuntimeException | OutOfMemoryError e) {
      reject(ctx, Rejection.of(info, "decode", RejectReason.DECODE_ERROR.code(), e.toString()));
      return;
    }
    byte[] sha = sha256(fetched.bytes());
    List<Thumb> thumbs = new ArrayList<>();
    for (Thumbnailer.Thumbnail t : image.thumbnails()) {
      thumbs.add(new Thumb(t.size(), t.format(), t.width(), t.height(), t.data()));
    }
    out.collect(
        new Candidate(
            info,
            HexFormat.of().formatHex(sha, 0, 16),
            HexFormat.of().formatHex(sha),
            image.perceptualHash(),
            image.width(),
            image.height(),
            fetched.format(),
            fetched.bytes().length,
            fetched.bytes(),
            thumbs));
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
