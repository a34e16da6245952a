package io.memescope.flink.ingest;

import io.memescope.core.records.Takedown;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.state.rocksdb.RocksDBKeyedStateBackend;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.Output;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.LatencyMarker;
import org.apache.flink.streaming.runtime.streamrecord.RecordAttributes;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.util.OutputTag;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;

/**
 * The ceiling of the de-duplication operator's one subtask (issue 9, docs/scaling.md M4): the
 * unchanged {@link Deduplicator}, in Flink's {@code CoBroadcastWithKeyedOperator} on the operator
 * test harness, with the job's state backend (embedded RocksDB, incremental checkpoints) on local
 * disk.
 *
 * <p>For each index size N: the keyed state is filled with N already-indexed images (distinct
 * random SHA-256s, uniformly random 64-bit pHashes), written straight into the operator's two map
 * states in the layout {@code Deduplicator.file} uses (SHA-256 → id; (chunk, chunk value) → (pHash,
 * id) triples), since pushing 10^6-10^7 images through the operator would take longer than the
 * measurement. A few exact and near copies are pushed through first as a check that the layout is
 * the operator's: they must merge. Then rounds of candidates go through {@code processElement}: by
 * default 85 % new images (indexed as they pass, so the index grows by that much per round), 10 %
 * near copies of an indexed image (1-4 pHash bits flipped, a re-encode or resize;
 * docs/benchmarks.md "Near-duplicate detection") and 5 % exact copies (the same bytes at another
 * URL). Candidates are made before the clock starts and carry no bytes or thumbnails; the
 * operator's outputs go to a counter instead of the harness's collecting output (which extracts a
 * type and copies every record, work the job does not do). Reported per round: candidates/s and µs
 * per candidate (mean, p50, p99); after the rounds, RocksDB's files on disk after a flush, and
 * after a full compaction.
 *
 * <p>Not measured: the subtask's network input and output (deserializing each candidate with its
 * bytes, serializing the new ones to the embedder), checkpoints, and pHash distributions less
 * uniform than random ones (real hashes cluster, which fills some buckets beyond N / 65536).
 *
 * <pre>{@code infra/bench/dedup.sh [SIZES] [CANDIDATES] [ROUNDS] [DISTANCE] [TAKEDOWNS]}</pre>
 */
public final class DedupBenchmark {
  private static final HexFormat HEX = HexFormat.of();

  public static void main(String[] args) throws Exception {
    long[] sizes =
        Arrays.stream((args.length > 0 ? args[0] : "10000,100000,1000000").split(","))
            .mapToLong(s -> Long.parseLong(s.replace("_", "")))
            .toArray();
    int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    int distance = args.length > 3 ? Integer.parseInt(args[3]) : 6;
    int takedowns = args.length > 4 ? Integer.parseInt(args[4]) : 0;
    double near = Double.parseDouble(System.getProperty("dedup.near", "0.10"));
    double exact = Double.parseDouble(System.getProperty("dedup.exact", "0.05"));
    MemorySize memory = MemorySize.parse(System.getProperty("dedup.rocksdb-memory", "256mb"));
    Path dir = Path.of(System.getProperty("dedup.dir", "flink-jobs/target/dedup-bench"));
    System.out.printf(
        "distance %d (%d bucket reads per lookup), %d candidates x %d rounds per size, "
            + "%.0f %% near copies, %.0f %% exact copies, %d takedowns, RocksDB memory %s per slot, "
            + "state in %s%n",
        distance,
        4 * Deduplicator.Neighbours.masks(distance / 4).length,
        perRound,
        rounds,
        near * 100,
        exact * 100,
        takedowns,
        memory,
        dir.toAbsolutePath());

    // Warm-up: the same code on a small index, in a harness of its own, thrown away.
    run(10_000, perRound, 2, distance, takedowns, near, exact, memory, dir, false);
    for (long n : sizes) {
      run(n, perRound, rounds, distance, takedowns, near, exact, memory, dir, true);
    }
  }

  private static void run(
      long n,
      int perRound,
      int rounds,
      int distance,
      int takedowns,
      double near,
      double exact,
      MemorySize memory,
      Path root,
      boolean report)
      throws Exception {
    Path dir = root.resolve("n" + n);
    delete(dir);
    Files.createDirectories(dir);
    Configuration conf = new Configuration();
    conf.set(RocksDBOptions.FIX_PER_SLOT_MEMORY_SIZE, memory);
    EmbeddedRocksDBStateBackend backend =
        new EmbeddedRocksDBStateBackend(true)
            .configure(conf, DedupBenchmark.class.getClassLoader());
    backend.setDbStoragePath(dir.toAbsolutePath().toString());

    var harness = DeduplicatorTest.unopened(distance);
    harness.setStateBackend(backend);
    harness.setup();
    Counting out = new Counting();
    Field output = AbstractStreamOperator.class.getDeclaredField("output");
    output.setAccessible(true);
    output.set(harness.getOperator(), out);
    harness.open();
    try {
      long start = System.nanoTime();
      populate(harness.getOperator().getKeyedStateBackend(), n);
      double populateS = (System.nanoTime() - start) / 1e9;

      // Takedowns of images outside the index: every candidate scans them (the linear check).
      SplittableRandom tr = new SplittableRandom(7);
      for (int t = 0; t < takedowns; t++) {
        String sha = sha("takedown", t);
        harness.processBroadcastElement(
            Takedown.of(sha.substring(0, 32), sha, tr.nextLong(), "bench", Instant.EPOCH), 0);
      }

      // The layout check: exact and near copies of indexed images must merge.
      SplittableRandom check = new SplittableRandom(11);
      for (int i = 0; i < 100; i++) {
        long k = check.nextLong(n);
        String sha = i % 2 == 0 ? sha("indexed", k) : sha("check", i);
        long phash = flip(phash(k), i % 2 == 0 ? 0 : 1 + check.nextInt(distance), check);
        harness.processElement(candidate(sha, phash, "check:" + i), 0);
      }
      if (out.merges != 100 || out.distinct != 0 || out.rejects != 0) {
        throw new IllegalStateException(
            "layout check: 100 copies gave "
                + out.merges
                + " merges, "
                + out.distinct
                + " new, "
                + out.rejects
                + " rejects");
      }

      if (report) {
        System.out.printf(
            "%nN = %,d: state written in %.1f s; candidates/s, µs per candidate (mean p50 p99),"
                + " index size after the round%n",
            n, populateS);
      }
      SplittableRandom r = new SplittableRandom(n * 31 + 1);
      long indexed = n;
      long[] nanos = new long[perRound];
      for (int round = 0; round < rounds; round++) {
        List<Candidate> stream = stream(round, perRound, n, distance, near, exact, r);
        out.reset();
        long t0 = System.nanoTime();
        for (int i = 0; i < stream.size(); i++) {
          long a = System.nanoTime();
          harness.processElement(stream.get(i), 0);
          nanos[i] = System.nanoTime() - a;
        }
        long elapsed = System.nanoTime() - t0;
        indexed += out.distinct;
        Arrays.sort(nanos);
        if (report) {
          System.out.printf(
              "  round %d: %,.0f candidates/s, %.1f µs (p50 %.1f, p99 %.1f), %,d new + %,d merged"
                  + " + %,d rejected, index %,d%n",
              round + 1,
              perRound / (elapsed / 1e9),
              elapsed / 1e3 / perRound,
              nanos[perRound / 2] / 1e3,
              nanos[(int) (perRound * 0.99)] / 1e3,
              out.distinct,
              out.merges,
              out.rejects,
              indexed);
        }
      }

      if (report) {
        KeyedStateBackend<Integer> kb = harness.getOperator().getKeyedStateBackend();
        RocksDB db = db(kb);
        List<ColumnFamilyHandle> cfs = handles(kb);
        try (FlushOptions f = new FlushOptions().setWaitForFlush(true)) {
          db.flush(f, cfs);
        }
        System.out.printf(
            "  on disk after flush: %s (SST: by-sha256 %s, phash-buckets %s)%n",
            mb(size(dir)), mb(sst(db, cfs.get(0))), mb(sst(db, cfs.get(1))));
        long c0 = System.nanoTime();
        for (ColumnFamilyHandle cf : cfs) {
          db.compactRange(cf);
        }
        System.out.printf(
            "  on disk after full compaction (%.1f s): %s (SST: by-sha256 %s, phash-buckets %s),"
                + " %.0f bytes per indexed image%n",
            (System.nanoTime() - c0) / 1e9,
            mb(size(dir)),
            mb(sst(db, cfs.get(0))),
            mb(sst(db, cfs.get(1))),
            (double) (sst(db, cfs.get(0)) + sst(db, cfs.get(1))) / indexed);
      }
    } finally {
      harness.close();
      delete(dir);
    }
  }

  /** N indexed images, written as {@code Deduplicator} files them. */
  private static void populate(KeyedStateBackend<Integer> kb, long n) throws Exception {
    kb.setCurrentKey(0);
    MapState<String, String> bySha =
        kb.getPartitionedState(
            VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, Deduplicator.BY_SHA);
    MapState<Integer, long[]> buckets =
        kb.getPartitionedState(
            VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, Deduplicator.BUCKETS);
    for (long i = 0; i < n; i++) {
      String sha = sha("indexed", i);
      bySha.put(sha, sha.substring(0, 32));
    }
    // One chunk at a time: a bucket's triples in index order, as appended one image at a time.
    for (int chunk = 0; chunk < 4; chunk++) {
      int[] count = new int[65536];
      for (long i = 0; i < n; i++) {
        count[Deduplicator.chunk(phash(i), chunk)]++;
      }
      long[][] entries = new long[65536][];
      for (int v = 0; v < 65536; v++) {
        entries[v] = new long[3 * count[v]];
      }
      int[] at = new int[65536];
      for (long i = 0; i < n; i++) {
        long phash = phash(i);
        int v = Deduplicator.chunk(phash, chunk);
        byte[] id = HEX.parseHex(sha("indexed", i).substring(0, 32));
        long[] e = entries[v];
        e[at[v]++] = phash;
        e[at[v]++] = ByteBuffer.wrap(id, 0, 8).getLong();
        e[at[v]++] = ByteBuffer.wrap(id, 8, 8).getLong();
      }
      for (int v = 0; v < 65536; v++) {
        if (entries[v].length > 0) {
          buckets.put(chunk << 16 | v, entries[v]);
        }
      }
    }
  }

  /** One round's candidates: new images, near copies and exact copies of indexed ones. */
  private static List<Candidate> stream(
      int round, int size, long n, int distance, double near, double exact, SplittableRandom r)
      throws Exception {
    List<Candidate> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      double p = r.nextDouble();
      String url = "u:" + round + ":" + i;
      if (p < exact) {
        long k = r.nextLong(n);
        out.add(candidate(sha("indexed", k), phash(k), url));
      } else if (p < exact + near) {
        long k = r.nextLong(n);
        int bits = 1 + r.nextInt(Math.min(4, Math.max(1, distance)));
        out.add(candidate(sha("near-" + round, i), flip(phash(k), bits, r), url));
      } else {
        out.add(candidate(sha("new-" + round, i), r.nextLong(), url));
      }
    }
    return out;
  }

  private static Candidate candidate(String sha, long phash, String url) {
    UrlInfo info = new UrlInfo(url, "h" + url, "s" + url, "bench", null, null, null, 0L, Map.of());
    return new Candidate(
        info, sha.substring(0, 32), sha, phash, 100, 100, "jpeg", 10_000, null, List.of());
  }

  private static String sha(String kind, long i) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    md.update(kind.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    md.update(ByteBuffer.allocate(8).putLong(i).array());
    return HEX.formatHex(md.digest());
  }

  /** The pHash of indexed image {@code i}: uniformly random 64 bits (SplitMix64 of i). */
  static long phash(long i) {
    long z = i * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** {@code phash} with {@code bits} distinct random bits flipped. */
  private static long flip(long phash, int bits, SplittableRandom r) {
    long mask = 0;
    while (Long.bitCount(mask) < bits) {
      mask |= 1L << r.nextInt(64);
    }
    return phash ^ mask;
  }

  private static RocksDB db(KeyedStateBackend<Integer> kb) throws Exception {
    Field f = RocksDBKeyedStateBackend.class.getDeclaredField("db");
    f.setAccessible(true);
    return (RocksDB) f.get(kb);
  }

  private static List<ColumnFamilyHandle> handles(KeyedStateBackend<Integer> kb) throws Exception {
    Method m =
        RocksDBKeyedStateBackend.class.getDeclaredMethod("getColumnFamilyHandle", String.class);
    m.setAccessible(true);
    return List.of(
        (ColumnFamilyHandle) m.invoke(kb, Deduplicator.BY_SHA.getName()),
        (ColumnFamilyHandle) m.invoke(kb, Deduplicator.BUCKETS.getName()));
  }

  private static long sst(RocksDB db, ColumnFamilyHandle cf) throws Exception {
    return Long.parseLong(db.getProperty(cf, "rocksdb.total-sst-files-size"));
  }

  private static long size(Path dir) throws Exception {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (java.io.IOException e) {
                  return 0; // a file RocksDB removed meanwhile
                }
              })
          .sum();
    }
  }

  private static String mb(long bytes) {
    return String.format("%.1f MB", bytes / 1e6);
  }

  private static void delete(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** The operator's output: counted, not kept. */
  private static final class Counting implements Output<StreamRecord<Candidate>> {
    long distinct;
    long merges;
    long rejects;

    void reset() {
      distinct = merges = rejects = 0;
    }

    @Override
    public void collect(StreamRecord<Candidate> record) {
      distinct++;
    }

    @Override
    public <X> void collect(OutputTag<X> tag, StreamRecord<X> record) {
      if (tag.getId().equals(Deduplicator.MERGES.getId())) {
        merges++;
      } else {
        rejects++;
      }
    }

    @Override
    public void emitWatermark(Watermark mark) {}

    @Override
    public void emitWatermarkStatus(WatermarkStatus status) {}

    @Override
    public void emitLatencyMarker(LatencyMarker marker) {}

    @Override
    public void emitRecordAttributes(RecordAttributes attributes) {}

    @Override
    public void emitWatermark(org.apache.flink.runtime.event.WatermarkEvent event) {}

    @Override
    public void close() {}
  }
}
