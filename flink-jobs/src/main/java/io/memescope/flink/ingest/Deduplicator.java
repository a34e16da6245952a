package io.memescope.flink.ingest;

import java.util.HexFormat;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Exact and near-duplicate detection. A candidate whose SHA-256 is known, or whose perceptual hash
 * is within {@code maxDistance} bits of a known image's, becomes another URL of that image (a side
 * output); otherwise it is a new image (the main output) and is indexed for the next ones.
 *
 * <p>The near-duplicate index is multi-index hashing: the 64-bit hash is cut into four 16-bit
 * chunks, and each image is filed under (chunk number, chunk value). Two hashes within distance d
 * agree to within ⌊d/4⌋ bits on at least one chunk (pigeonhole), so a lookup reads only the buckets
 * within that radius of each chunk: 4 × 17 point reads for d ≤ 7, 4 × 137 for d ≤ 11, each bucket
 * holding about n/65536 images of a corpus of n. It stays sub-linear as the corpus grows, and it
 * lives in keyed state, so on RocksDB it is off the heap.
 *
 * <p>The operator sees every candidate (it is keyed by a constant): the decision needs the whole
 * index, and it is a few RocksDB reads per image, far cheaper than the decoding and embedding
 * around it. Sharding it by chunk is the step beyond one machine (docs/ARCHITECTURE.md).
 */
final class Deduplicator extends KeyedProcessFunction<Integer, Candidate, Candidate> {
  static final OutputTag<IndexEffect> MERGES =
      new OutputTag<>(
          "merges", org.apache.flink.api.common.typeinfo.TypeInformation.of(IndexEffect.class));

  private final int maxDistance;
  private transient MapState<String, String> bySha;
  private transient MapState<Integer, long[]> buckets;
  private transient int[] probes;

  Deduplicator(int maxDistance) {
    this.maxDistance = maxDistance;
  }

  @Override
  public void open(OpenContext context) {
    probes = Neighbours.masks(maxDistance / 4);
    bySha =
        getRuntimeContext()
            .getMapState(new MapStateDescriptor<>("by-sha256", Types.STRING, Types.STRING));
    buckets =
        getRuntimeContext()
            .getMapState(
                new MapStateDescriptor<>(
                    "phash-buckets",
                    Types.INT,
                    PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
  }

  @Override
  public void processElement(Candidate c, Context ctx, Collector<Candidate> out) throws Exception {
    String known = bySha.get(c.sha256());
    if (known != null) {
      ctx.output(MERGES, IndexEffect.merged(IndexEffect.EXACT, known, c.info(), 0));
      return;
    }
    if (maxDistance > 0) {
      Match near = nearest(c.phash());
      if (near != null) {
        bySha.put(c.sha256(), near.id);
        ctx.output(MERGES, IndexEffect.merged(IndexEffect.NEAR, near.id, c.info(), near.distance));
        return;
      }
    }
    bySha.put(c.sha256(), c.imageId());
    if (maxDistance > 0) {
      file(c.phash(), c.imageId());
    }
    out.collect(c);
  }

  private record Match(String id, int distance) {}

  /** The closest indexed image within {@code maxDistance}, ties broken by id; null if none. */
  private Match nearest(long phash) throws Exception {
    Match best = null;
    for (int chunk = 0; chunk < 4; chunk++) {
      int value = chunk(phash, chunk);
      for (int mask : probes) {
        long[] entries = buckets.get(key(chunk, value ^ mask));
        if (entries == null) {
          continue;
        }
        for (int i = 0; i < entries.length; i += 3) {
          int d = Long.bitCount(entries[i] ^ phash);
          if (d <= maxDistance) {
            String id = id(entries[i + 1], entries[i + 2]);
            if (best == null
                || d < best.distance
                || d == best.distance && id.compareTo(best.id) < 0) {
              best = new Match(id, d);
            }
          }
        }
      }
    }
    return best;
  }

  private void file(long phash, String imageId) throws Exception {
    byte[] id = HexFormat.of().parseHex(imageId);
    long hi = java.nio.ByteBuffer.wrap(id, 0, 8).getLong();
    long lo = java.nio.ByteBuffer.wrap(id, 8, 8).getLong();
    for (int chunk = 0; chunk < 4; chunk++) {
      int key = key(chunk, chunk(phash, chunk));
      long[] old = buckets.get(key);
      long[] entries = old == null ? new long[3] : java.util.Arrays.copyOf(old, old.length + 3);
      int at = entries.length - 3;
      entries[at] = phash;
      entries[at + 1] = hi;
      entries[at + 2] = lo;
      buckets.put(key, entries);
    }
  }

  static int chunk(long phash, int chunk) {
    return (int) (phash >>> (16 * chunk)) & 0xFFFF;
  }

  private static int key(int chunk, int value) {
    return chunk << 16 | value;
  }

  private static String id(long hi, long lo) {
    return HexFormat.of().toHexDigits(hi) + HexFormat.of().toHexDigits(lo);
  }

  /** The 16-bit masks of at most {@code radius} bits: XORed with a value, its neighbours. */
  static final class Neighbours {
    private Neighbours() {}

    static int[] masks(int radius) {
      java.util.List<Integer> out = new java.util.ArrayList<>();
      collect(0, radius, 0, out);
      return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void collect(int mask, int radius, int from, java.util.List<Integer> out) {
      out.add(mask);
      if (radius == 0) {
        return;
      }
      for (int bit = from; bit < 16; bit++) {
        collect(mask | (1 << bit), radius - 1, bit + 1, out);
      }
    }
  }
}
