package io.memescope.core.embed;

import java.util.concurrent.CancellationException;
import java.util.concurrent.Semaphore;

/**
 * The memory that decoded images may hold at once in this process. Each decode reserves, before any
 * pixel is decoded, the full-size buffers it and its use will allocate ({@link ImageDecoder} and
 * {@link io.memescope.core.image.NativeCodecs} compute them from the header); a decode that does
 * not fit waits for others to finish.
 *
 * <p>Why: the pixel limit ({@code model.max-pixels}) bounds one image, not the images decoded at
 * once. The ingest job decodes on every analysing subtask and on the embedder's preprocessing
 * threads, and serving on every request thread; two large photos at the same moment could take more
 * memory than a TaskManager has. On the heap the {@link OutOfMemoryError} could then strike any
 * thread of the process, not only the decoding one; off it, a container is killed for its memory.
 * With the reservation the worst case waits instead.
 *
 * <p>Two budgets per process:
 *
 * <ul>
 *   <li>{@link #shared()}, the heap: {@link #HEAP_SHARE} of the maximum heap, the rest being for
 *       everything else the process holds (Flink's buffers, Kafka's, the model's inputs, the
 *       cache). A decode that could never fit is refused as too many pixels, with the figures.
 *   <li>{@link #offHeap()}, OpenCV's memory: {@value #NATIVE_PROPERTY} bytes (the local stack gives
 *       the TaskManagers {@code flink.taskmanager.native-image-memory} and counts it in Flink's
 *       {@code taskmanager.memory.task.off-heap.size}). Analysing a 1.4 MB PNG of 6000x4000 with
 *       alpha takes 180 MiB there. This budget refuses nothing: a decode larger than all of it
 *       waits until it is all free and then takes it all, so that it runs alone; the pixel limit
 *       bounds how large it is.
 * </ul>
 *
 * <p>A decode that takes both reserves the heap first; nothing that holds native memory waits for
 * heap, so two decodes never wait for each other.
 */
public final class DecodeMemory {
  /** The share of the maximum heap ({@code -Xmx}) that {@link #shared()} lets images hold. */
  public static final double HEAP_SHARE = 0.5;

  /**
   * The system property that sizes {@link #offHeap()}: bytes, or a size such as {@code 512m}; by
   * default as large as the heap budget.
   */
  public static final String NATIVE_PROPERTY = "memescope.native-image-memory";

  /** Permits count KiB, so that a terabyte heap still fits an int. */
  private static final int UNIT = 1024;

  private static final DecodeMemory SHARED =
      new DecodeMemory((long) (Runtime.getRuntime().maxMemory() * HEAP_SHARE), true);

  /** Made on first use; null until then, and for as long as the property cannot be read. */
  private static volatile DecodeMemory offHeap;

  private final long capacity;
  private final boolean heap;
  private final Semaphore free;

  /** A heap budget of {@code capacity} bytes (tests, and processes that size their own). */
  public DecodeMemory(long capacity) {
    this(capacity, true);
  }

  private DecodeMemory(long capacity, boolean heap) {
    if (capacity < UNIT) {
      throw new IllegalArgumentException("capacity " + capacity + " is under " + UNIT + " bytes");
    }
    this.capacity = capacity;
    this.heap = heap;
    // Fair: a large image waiting is not overtaken for ever by a stream of small ones.
    this.free = new Semaphore(units(capacity), true);
  }

  /** A budget of {@code capacity} bytes of native memory (tests). */
  public static DecodeMemory ofNative(long capacity) {
    return new DecodeMemory(capacity, false);
  }

  /** The process's heap budget: {@link #HEAP_SHARE} of its maximum heap. */
  public static DecodeMemory shared() {
    return SHARED;
  }

  /**
   * The process's budget for OpenCV's decodes, off the heap: {@value #NATIVE_PROPERTY}.
   *
   * @throws IllegalArgumentException when the property is not a size (on every call, until it is)
   */
  public static DecodeMemory offHeap() {
    DecodeMemory memory = offHeap;
    if (memory == null) {
      synchronized (DecodeMemory.class) {
        if (offHeap == null) {
          offHeap = new DecodeMemory(nativeCapacity(), false);
        }
        memory = offHeap;
      }
    }
    return memory;
  }

  static long nativeCapacity() {
    String value = System.getProperty(NATIVE_PROPERTY);
    if (value == null || value.isBlank()) {
      return SHARED.capacity;
    }
    try {
      long bytes =
          com.typesafe.config.ConfigFactory.parseMap(java.util.Map.of("size", value.trim()))
              .getBytes("size");
      if (bytes >= UNIT) {
        return bytes;
      }
    } catch (com.typesafe.config.ConfigException e) {
      // Reported below.
    }
    throw new IllegalArgumentException(
        NATIVE_PROPERTY + "=" + value + " is not a size of at least 1 KiB (such as 512m)");
  }

  /** The whole budget, in bytes. */
  public long capacity() {
    return capacity;
  }

  /** Bytes reserved now, by leases not yet closed. */
  public long reserved() {
    return (long) (units(capacity) - free.availablePermits()) * UNIT;
  }

  /** Threads waiting to reserve now (tests wait for a decode to be queued). */
  public int waiting() {
    return free.getQueueLength();
  }

  /**
   * Reserves {@code bytes}, waiting while other decodes hold too much of the budget. Off the heap,
   * more than the whole budget waits for all of it and takes it all.
   *
   * @param what the image, for the message of a refusal ("8000x8000 RGBA")
   * @throws ImageDecodeException ({@code TOO_MANY_PIXELS}) when {@code bytes} exceed the whole heap
   *     budget: the image could never be decoded in this process
   * @throws CancellationException when the thread is interrupted while waiting (its interrupt flag
   *     is set again): the task is being cancelled, and the image was not refused
   */
  public Lease reserve(long bytes, String what) throws ImageDecodeException {
    check(bytes, what);
    int units = units(Math.max(Math.min(bytes, capacity), 1));
    try {
      free.acquire(units);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      CancellationException c =
          new CancellationException(
              "interrupted while waiting for "
                  + (heap ? "heap" : "native memory")
                  + " to decode "
                  + what);
      c.initCause(e);
      throw c;
    }
    return new Lease(units);
  }

  /**
   * Refuses {@code bytes} that exceed the whole heap budget, as {@link #reserve} does, without
   * reserving anything; off the heap, refuses nothing.
   */
  public void check(long bytes, String what) throws ImageDecodeException {
    if (heap && bytes > capacity) {
      throw new ImageDecodeException(
          ImageDecodeException.Reason.TOO_MANY_PIXELS,
          String.format(
              "%s would take about %d MB of heap to decode, more than the %d MB this process"
                  + " sets aside for images (%.0f%% of its heap): give it a larger heap, or"
                  + " lower model.max-pixels",
              what, mb(bytes), mb(capacity), HEAP_SHARE * 100));
    }
  }

  private static int units(long bytes) {
    return (int) Math.min(Integer.MAX_VALUE, (bytes + UNIT - 1) / UNIT);
  }

  private static long mb(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  /** A reservation; {@link #close()} gives it back (once, however often it is called). */
  public final class Lease implements AutoCloseable {
    private final int units;
    private boolean open = true;

    private Lease(int units) {
      this.units = units;
    }

    @Override
    public synchronized void close() {
      if (open) {
        open = false;
        free.release(units);
      }
    }
  }
}
