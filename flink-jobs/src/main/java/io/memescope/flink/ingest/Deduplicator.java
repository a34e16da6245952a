package io.memescope.flink.ingest;

import io.memescope.core.records.Takedown;
import java.util.HexFormat;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Exact and near-duplicate detection, and the takedown block. A candidate whose SHA-256 is known,
 * or whose perceptual hash is within {@code maxDistance} bits of a known image's, becomes another
 * URL of that image (a side output); otherwise it is a new image (the main output) and is indexed
 * for the next ones.
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
 *
 * <p><b>Takedowns</b> arrive on the second, broadcast input (the takedowns topic, read from its
 * start) and are kept in broadcast state: {@link #TAKEDOWNS} (SHA-256 → pHash) and {@link
 * #TAKEN_DOWN_IDS} (image id → SHA-256). Before anything else, a candidate is rejected as {@code
 * taken_down} (stage {@code dedup}) when its SHA-256 is taken down, or its pHash is within {@code
 * maxDistance} bits of a taken-down one (equal to it when the distance is 0). The pHash check is a
 * linear scan of the takedowns: a few thousand XOR-and-popcounts, microseconds per candidate, next
 * to milliseconds of decoding; should takedowns ever number in the hundreds of thousands, they
 * would get a multi-index hash of their own like the one below. A candidate that passes is still
 * never merged into a taken-down image: an exact or near match whose image id is taken down rejects
 * it too. A takedown also removes its image from the de-duplication state: its SHA-256 entry and
 * its pHash bucket entries (through {@code applyToKeyedState}; the only key is the constant). The
 * SHA-256 entries of near copies merged into it stay behind; they point at a taken-down id, so the
 * check above refuses them, and finding them would mean scanning the whole map.
 *
 * <p>State compatibility: this was a {@code KeyedProcessFunction} (one input) until takedowns came.
 * The uid ({@code dedup}), the key (the constant {@code 0}, an {@code Integer}) and the keyed
 * states {@code by-sha256} and {@code phash-buckets} are unchanged, so checkpoints of the old job
 * restore; the two broadcast states are new and start empty, and the takedowns source, which has no
 * offsets in such a checkpoint, starts from the topic's beginning and fills them.
 */
final class Deduplicator
    extends KeyedBroadcastProcessFunction<Integer, Candidate, Takedown, Candidate> {
  static final OutputTag<IndexEffect> MERGES =
      new OutputTag<>(
          "merges", org.apache.flink.api.common.typeinfo.TypeInformation.of(IndexEffect.class));

  /** The reject reason of a candidate blocked by a takedown. */
  static final String TAKEN_DOWN = "taken_down";

  static final String STAGE = "dedup";

  /**
   * Keyed: the SHA-256 of every image let through → the id of the image it is, or was merged into.
   */
  static final MapStateDescriptor<String, String> BY_SHA =
      new MapStateDescriptor<>("by-sha256", Types.STRING, Types.STRING);

  /** Keyed: (chunk number, chunk value) → (pHash, id high bits, id low bits) triples. */
  static final MapStateDescriptor<Integer, long[]> BUCKETS =
      new MapStateDescriptor<>(
          "phash-buckets", Types.INT, PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO);

  /** Broadcast: the SHA-256 of every taken-down image → its pHash. */
  static final MapStateDescriptor<String, Long> TAKEDOWNS =
      new MapStateDescriptor<>("takedowns", Types.STRING, Types.LONG);

  /** Broadcast: the id of every taken-down image → its SHA-256. */
  static final MapStateDescriptor<String, String> TAKEN_DOWN_IDS =
      new MapStateDescriptor<>("taken-down-ids", Types.STRING, Types.STRING);

  private final int maxDistance;
  private transient MapState<String, String> bySha;
  private transient MapState<Integer, long[]> buckets;
  private transient int[] probes;
  private transient Counters rejects;
  private transient Counters takedowns;

  Deduplicator(int maxDistance) {
    this.maxDistance = maxDistance;
  }

  @Override
  public void open(OpenContext context) {
    probes = Neighbours.masks(maxDistance / 4);
    bySha = getRuntimeContext().getMapState(BY_SHA);
    buckets = getRuntimeContext().getMapState(BUCKETS);
    rejects = new Counters(getRuntimeContext().getMetricGroup(), "rejects");
    takedowns = new Counters(getRuntimeContext().getMetricGroup(), "takedowns");
  }

  @Override
  public void processElement(Candidate c, ReadOnlyContext ctx, Collector<Candidate> out)
      throws Exception {
    String blocked = blockedBy(c, ctx.getBroadcastState(TAKEDOWNS));
    if (blocked != null) {
      reject(ctx, c, blocked);
      return;
    }
    ReadOnlyBroadcastState<String, String> takenDownIds = ctx.getBroadcastState(TAKEN_DOWN_IDS);
    String known = bySha.get(c.sha256());
    if (known != null) {
      if (takenDownIds.contains(known)) {
        reject(ctx, c, "SHA-256 filed under taken-down image " + known);
        return;
      }
      ctx.output(MERGES, IndexEffect.merged(IndexEffect.EXACT, known, c.info(), 0));
      return;
    }
    if (maxDistance > 0) {
      Match near = nearest(c.phash());
      if (near != null) {
        if (takenDownIds.contains(near.id)) {
          reject(
              ctx,
              c,
              "perceptual hash " + near.distance + " bits from taken-down image " + near.id);
          return;
        }
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

  /** Why {@code c} is taken down (its SHA-256, or a pHash near a taken-down one); null if not. */
  private String blockedBy(Candidate c, ReadOnlyBroadcastState<String, Long> takedowns)
      throws Exception {
    if (takedowns.contains(c.sha256())) {
      return "SHA-256 " + c.sha256() + " is taken down";
    }
    // Linear in the number of takedowns (see the class comment).
    for (Map.Entry<String, Long> t : takedowns.immutableEntries()) {
      int d = Long.bitCount(t.getValue() ^ c.phash());
      if (d <= maxDistance) {
        return "perceptual hash " + d + " bits from that of taken-down SHA-256 " + t.getKey();
      }
    }
    return null;
  }

  private void reject(ReadOnlyContext ctx, Candidate c, String detail) {
    rejects.inc(TAKEN_DOWN);
    ctx.output(IngestJob.REJECTS, Rejection.of(c.info(), STAGE, TAKEN_DOWN, detail));
  }

  @Override
  public void processBroadcastElement(Takedown t, Context ctx, Collector<Candidate> out)
      throws Exception {
    BroadcastState<String, Long> blocked = ctx.getBroadcastState(TAKEDOWNS);
    blocked.put(t.sha256(), t.phash());
    ctx.getBroadcastState(TAKEN_DOWN_IDS).put(t.imageId(), t.sha256());
    // Forget the image in the de-duplication state. The operator is keyed by a constant, so this
    // visits one key (none before the first candidate).
    ctx.applyToKeyedState(BY_SHA, (key, state) -> state.remove(t.sha256()));
    long[] id = idBits(t.imageId());
    ctx.applyToKeyedState(
        BUCKETS,
        (key, state) -> {
          for (int chunk = 0; chunk < 4; chunk++) {
            int bucket = key(chunk, chunk(t.phash(), chunk));
            long[] entries = state.get(bucket);
            if (entries == null) {
              continue;
            }
            long[] kept = without(entries, id[0], id[1]);
            if (kept.length == 0) {
              state.remove(bucket);
            } else if (kept.length < entries.length) {
              state.put(bucket, kept);
            }
          }
        });
    takedowns.inc("applied");
  }

  /** {@code entries} without the triples of the image whose id is ({@code hi}, {@code lo}). */
  static long[] without(long[] entries, long hi, long lo) {
    long[] kept = new long[entries.length];
    int n = 0;
    for (int i = 0; i < entries.length; i += 3) {
      if (entries[i + 1] != hi || entries[i + 2] != lo) {
        kept[n++] = entries[i];
        kept[n++] = entries[i + 1];
        kept[n++] = entries[i + 2];
      }
    }
    return n == entries.length ? entries : java.util.Arrays.copyOf(kept, n);
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
    long[] id = idBits(imageId);
    for (int chunk = 0; chunk < 4; chunk++) {
      int key = key(chunk, chunk(phash, chunk));
      long[] old = buckets.get(key);
      long[] entries = old == null ? new long[3] : java.util.Arrays.copyOf(old, old.length + 3);
      int at = entries.length - 3;
      entries[at] = phash;
      entries[at + 1] = id[0];
      entries[at + 2] = id[1];
      buckets.put(key, entries);
    }
  }

  /** The 128 bits of an image id (32 hex digits) as its high and low halves. */
  private static long[] idBits(String imageId) {
    byte[] id = HexFormat.of().parseHex(imageId);
    return new long[] {
      java.nio.ByteBuffer.wrap(id, 0, 8).getLong(), java.nio.ByteBuffer.wrap(id, 8, 8).getLong()
    };
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
