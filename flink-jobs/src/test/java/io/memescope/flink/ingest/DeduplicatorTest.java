package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.memescope.core.records.Json;
import io.memescope.core.records.Takedown;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The de-duplicator on Flink's operator test harness: duplicates merge, and takedowns (its
 * broadcast input) block the same bytes and near copies, forget the image, and survive a
 * checkpoint; the de-duplication state of the one-input operator it replaced restores into it.
 */
class DeduplicatorTest {
  static final int DISTANCE = 6;
  static final long PHASH = 0x9F3A_5C21_7E04_B6D8L;

  private KeyedBroadcastOperatorTestHarness<Integer, Candidate, Takedown, Candidate> harness;

  @AfterEach
  void close() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  /** An open harness around a fresh operator, as the job wires it (key: the constant 0). */
  static KeyedBroadcastOperatorTestHarness<Integer, Candidate, Takedown, Candidate> harness(
      int distance) throws Exception {
    return ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
        new Deduplicator(distance),
        c -> 0,
        Types.INT,
        Deduplicator.TAKEDOWNS,
        Deduplicator.TAKEN_DOWN_IDS);
  }

  /**
   * A harness around a fresh operator, neither set up nor opened: for a chosen state backend or
   * restored state (key: the constant 0, one subtask).
   */
  static KeyedBroadcastOperatorTestHarness<Integer, Candidate, Takedown, Candidate> unopened(
      int distance) throws Exception {
    return new KeyedBroadcastOperatorTestHarness<>(
        new CoBroadcastWithKeyedOperator<>(
            new Deduplicator(distance),
            List.of(Deduplicator.TAKEDOWNS, Deduplicator.TAKEN_DOWN_IDS)),
        c -> 0,
        Types.INT,
        1,
        1,
        0);
  }

  /** A harness to restore {@code state} into, then open. */
  static KeyedBroadcastOperatorTestHarness<Integer, Candidate, Takedown, Candidate> restored(
      int distance, OperatorSubtaskState state) throws Exception {
    var restored = unopened(distance);
    restored.initializeState(state);
    restored.open();
    return restored;
  }

  /** A candidate for the given content (its hashes derive from {@code content}) and pHash. */
  static Candidate candidate(String content, long phash, String url) throws Exception {
    String sha =
        HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256")
                    .digest(content.getBytes(StandardCharsets.UTF_8)));
    UrlInfo info =
        new UrlInfo(url, "hash-of-" + url, "seen-" + url, "test", "t", null, null, 0L, Map.of());
    return new Candidate(
        info, sha.substring(0, 32), sha, phash, 10, 10, "png", 3, new byte[3], List.of());
  }

  static Takedown takedownOf(Candidate c) {
    return Takedown.of(c.imageId(), c.sha256(), c.phash(), "test", Instant.EPOCH);
  }

  /** {@code phash} with its lowest {@code bits} bits flipped. */
  static long flip(long phash, int bits) {
    return phash ^ ((1L << bits) - 1);
  }

  private List<String> newUrls() {
    return harness.extractOutputValues().stream().map(c -> c.info().url()).toList();
  }

  private List<IndexEffect> merges() {
    return sideOutput(Deduplicator.MERGES);
  }

  private List<Rejection> rejects() {
    return sideOutput(IngestJob.REJECTS);
  }

  private <T> List<T> sideOutput(org.apache.flink.util.OutputTag<T> tag) {
    var out = harness.getSideOutput(tag);
    return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
  }

  @Test
  void duplicates_merge_into_the_first_image() throws Exception {
    harness = harness(DISTANCE);
    Candidate a = candidate("a", PHASH, "u:a");
    harness.processElement(a, 1);
    harness.processElement(candidate("a", PHASH, "u:a-again"), 2);
    harness.processElement(candidate("a re-encoded", flip(PHASH, 3), "u:a-near"), 3);
    harness.processElement(candidate("b", ~PHASH, "u:b"), 4);

    assertThat(newUrls()).containsExactly("u:a", "u:b");
    assertThat(merges())
        .extracting(IndexEffect::kind, IndexEffect::imageId, IndexEffect::distance)
        .containsExactly(
            tuple(IndexEffect.EXACT, a.imageId(), 0), tuple(IndexEffect.NEAR, a.imageId(), 3));
    assertThat(rejects()).isEmpty();
  }

  @Test
  void taken_down_bytes_are_rejected() throws Exception {
    harness = harness(DISTANCE);
    Candidate a = candidate("a", PHASH, "u:a");
    harness.processBroadcastElement(takedownOf(a), 1);
    harness.processElement(a, 2);

    assertThat(newUrls()).isEmpty();
    assertThat(merges()).isEmpty();
    assertThat(rejects())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.reason()).isEqualTo("taken_down");
              assertThat(r.stage()).isEqualTo("dedup");
              assertThat(r.url()).isEqualTo("u:a");
              assertThat(r.urlHash()).isEqualTo("hash-of-u:a");
              assertThat(r.detail()).contains(a.sha256());
            });
  }

  @Test
  void a_near_copy_of_taken_down_content_is_rejected() throws Exception {
    harness = harness(DISTANCE);
    harness.processBroadcastElement(takedownOf(candidate("a", PHASH, "u:a")), 1);
    harness.processElement(candidate("a re-encoded", flip(PHASH, DISTANCE), "u:a-near"), 2);
    harness.processElement(candidate("a cropped", flip(PHASH, DISTANCE + 1), "u:a-far"), 3);

    assertThat(rejects())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.url()).isEqualTo("u:a-near");
              assertThat(r.reason()).isEqualTo("taken_down");
              assertThat(r.detail()).contains("6 bits");
            });
    assertThat(newUrls()).as("just past the distance: another image").containsExactly("u:a-far");
  }

  @Test
  void at_distance_zero_only_an_equal_phash_is_blocked() throws Exception {
    harness = harness(0);
    harness.processBroadcastElement(takedownOf(candidate("a", PHASH, "u:a")), 1);
    harness.processElement(candidate("a re-encoded", PHASH, "u:same-phash"), 2);
    harness.processElement(candidate("a re-encoded", flip(PHASH, 1), "u:one-bit-off"), 3);

    assertThat(rejects()).extracting(Rejection::url).containsExactly("u:same-phash");
    assertThat(newUrls()).containsExactly("u:one-bit-off");
  }

  @Test
  void unrelated_images_pass() throws Exception {
    harness = harness(DISTANCE);
    harness.processBroadcastElement(takedownOf(candidate("a", PHASH, "u:a")), 1);
    harness.processElement(candidate("b", ~PHASH, "u:b"), 2);
    harness.processElement(candidate("c", PHASH ^ 0xFFFF_0000_0000_0000L, "u:c"), 3);

    assertThat(rejects()).isEmpty();
    assertThat(newUrls()).containsExactly("u:b", "u:c");
  }

  @Test
  void a_takedown_after_the_first_ingestion_blocks_later_reposts_and_forgets_the_image()
      throws Exception {
    harness = harness(DISTANCE);
    Candidate a = candidate("a", PHASH, "u:a");
    Candidate b = candidate("b", ~PHASH, "u:b");
    harness.processElement(a, 1);
    harness.processElement(b, 2);
    // A near copy merged into a before the takedown: its SHA-256 now points at a.
    harness.processElement(candidate("a re-encoded", flip(PHASH, 2), "u:a-near"), 3);
    assertThat(newUrls()).containsExactly("u:a", "u:b");
    assertThat(merges()).hasSize(1);

    harness.processBroadcastElement(takedownOf(a), 4);
    // The same bytes and the same near copy again, under new URLs: no merge into a.
    harness.processElement(candidate("a", PHASH, "u:a-repost"), 5);
    harness.processElement(candidate("a re-encoded", flip(PHASH, 2), "u:a-near-repost"), 6);
    // Other images still de-duplicate as before.
    harness.processElement(candidate("b", ~PHASH, "u:b-repost"), 7);

    assertThat(rejects())
        .extracting(Rejection::url, Rejection::reason)
        .containsExactly(tuple("u:a-repost", "taken_down"), tuple("u:a-near-repost", "taken_down"));
    assertThat(merges()).extracting(IndexEffect::imageId).containsExactly(a.imageId(), b.imageId());
    assertThat(newUrls()).containsExactly("u:a", "u:b");

    // The image is gone from the de-duplication state: its SHA-256 and its pHash buckets.
    var operator = (AbstractStreamOperator<?>) harness.getOperator();
    operator.setCurrentKey(0);
    var bySha = operator.getKeyedStateStore().getMapState(Deduplicator.BY_SHA);
    assertThat(bySha.contains(a.sha256())).isFalse();
    assertThat(bySha.get(b.sha256())).isEqualTo(b.imageId());
    var buckets = operator.getKeyedStateStore().getMapState(Deduplicator.BUCKETS);
    long aIdHi = Long.parseUnsignedLong(a.imageId().substring(0, 16), 16);
    for (var e : buckets.entries()) {
      long[] entries = e.getValue();
      for (int i = 0; i < entries.length; i += 3) {
        assertThat(entries[i + 1]).as("bucket %s", e.getKey()).isNotEqualTo(aIdHi);
      }
    }
    assertThat(buckets.keys()).hasSize(4); // b's four chunks
  }

  @Test
  void a_merge_into_a_taken_down_image_is_refused_even_past_the_phash_check() throws Exception {
    // The takedown's pHash is far from the image's (as if computed differently): the candidate
    // passes the block check, finds the image by SHA-256 or pHash, and is still refused.
    harness = harness(DISTANCE);
    Candidate a = candidate("a", PHASH, "u:a");
    harness.processElement(a, 1);
    harness.processElement(candidate("a re-encoded", flip(PHASH, 2), "u:a-near"), 2);
    harness.processBroadcastElement(
        Takedown.of("00".repeat(16), "11".repeat(32), ~PHASH, "", Instant.EPOCH), 3);
    harness.processBroadcastElement(
        Takedown.of(a.imageId(), "22".repeat(32), ~PHASH, "", Instant.EPOCH), 4);
    harness.processElement(candidate("a", PHASH, "u:a-repost"), 5);
    harness.processElement(candidate("a re-encoded", flip(PHASH, 2), "u:a-near-repost"), 6);
    harness.processElement(candidate("a resized", flip(PHASH, 4), "u:a-other-near"), 7);

    assertThat(rejects())
        .extracting(Rejection::url)
        .containsExactly("u:a-repost", "u:a-near-repost", "u:a-other-near");
    assertThat(merges()).hasSize(1);
  }

  @Test
  void takedowns_survive_a_checkpoint() throws Exception {
    harness = harness(DISTANCE);
    Candidate a = candidate("a", PHASH, "u:a");
    harness.processElement(a, 1);
    harness.processBroadcastElement(takedownOf(a), 2);
    OperatorSubtaskState snapshot = harness.snapshot(1, 3);
    harness.close();

    harness = restored(DISTANCE, snapshot);
    harness.processElement(candidate("a", PHASH, "u:a-repost"), 4);
    harness.processElement(candidate("a re-encoded", flip(PHASH, 5), "u:a-near"), 5);
    harness.processElement(candidate("b", ~PHASH, "u:b"), 6);

    assertThat(rejects()).extracting(Rejection::url).containsExactly("u:a-repost", "u:a-near");
    assertThat(newUrls()).containsExactly("u:b");
  }

  /**
   * The de-duplicator before takedowns, as far as its state goes: a one-input keyed function with
   * the same keyed states (its logic is irrelevant here: it files every candidate as new).
   */
  static final class OneInputDedup extends KeyedProcessFunction<Integer, Candidate, Candidate> {
    @Override
    public void processElement(Candidate c, Context ctx, Collector<Candidate> out)
        throws Exception {
      getRuntimeContext().getMapState(Deduplicator.BY_SHA).put(c.sha256(), c.imageId());
      long[] entry = {
        c.phash(),
        Long.parseUnsignedLong(c.imageId().substring(0, 16), 16),
        Long.parseUnsignedLong(c.imageId().substring(16), 16)
      };
      var buckets = getRuntimeContext().getMapState(Deduplicator.BUCKETS);
      for (int chunk = 0; chunk < 4; chunk++) {
        buckets.put(chunk << 16 | Deduplicator.chunk(c.phash(), chunk), entry);
      }
      out.collect(c);
    }
  }

  @Test
  void the_state_of_the_one_input_operator_restores() throws Exception {
    Candidate a = candidate("a", PHASH, "u:a");
    OperatorSubtaskState old;
    try (OneInputStreamOperatorTestHarness<Candidate, Candidate> before =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new OneInputDedup()), c -> 0, Types.INT)) {
      before.open();
      before.processElement(a, 1);
      old = before.snapshot(1, 2);
    }

    harness = restored(DISTANCE, old);
    harness.processElement(candidate("a", PHASH, "u:a-again"), 3);
    harness.processElement(candidate("a re-encoded", flip(PHASH, 3), "u:a-near"), 4);
    harness.processBroadcastElement(takedownOf(a), 5);
    harness.processElement(candidate("a", PHASH, "u:a-repost"), 6);

    assertThat(merges())
        .extracting(IndexEffect::kind, IndexEffect::imageId)
        .containsExactly(
            tuple(IndexEffect.EXACT, a.imageId()), tuple(IndexEffect.NEAR, a.imageId()));
    assertThat(rejects()).extracting(Rejection::url).containsExactly("u:a-repost");
    assertThat(newUrls()).isEmpty();
  }

  @Test
  void a_takedown_survives_flinks_serializer() throws Exception {
    // It travels from the parser to the de-duplicator over the network (a broadcast edge).
    var type = org.apache.flink.api.common.typeinfo.TypeInformation.of(Takedown.class);
    var serializer =
        type.createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl());
    Takedown t = takedownOf(candidate("a", PHASH, "u:a"));
    var out = new org.apache.flink.core.memory.DataOutputSerializer(256);
    serializer.serialize(t, out);
    var in = new org.apache.flink.core.memory.DataInputDeserializer(out.getCopyOfBuffer());
    assertThat(serializer.deserialize(in)).isEqualTo(t);
    assertThat(type)
        .as("a POJO (record) type, not Kryo")
        .isInstanceOf(org.apache.flink.api.java.typeutils.PojoTypeInfo.class);
  }

  @Test
  void malformed_takedowns_are_skipped_and_counted_never_thrown() throws Exception {
    Candidate a = candidate("a", PHASH, "u:a");
    byte[] good = Json.write(takedownOf(a));
    List<byte[]> bad =
        List.of(
            new byte[0],
            "{not json".getBytes(StandardCharsets.UTF_8),
            "[1, 2]".getBytes(StandardCharsets.UTF_8),
            ("{\"v\":2,\"imageId\":\""
                    + a.imageId()
                    + "\",\"sha256\":\""
                    + a.sha256()
                    + "\",\"phash\":1,\"at\":\"2026-01-01T00:00:00Z\"}")
                .getBytes(StandardCharsets.UTF_8),
            ("{\"v\":1,\"imageId\":\""
                    + a.imageId()
                    + "\",\"sha256\":\""
                    + a.sha256()
                    + "\",\"at\":\"2026-01-01T00:00:00Z\"}")
                .getBytes(StandardCharsets.UTF_8),
            ("{\"v\":1,\"imageId\":\""
                    + a.imageId()
                    + "\",\"sha256\":\"xyz\",\"phash\":1,"
                    + "\"at\":\"2026-01-01T00:00:00Z\"}")
                .getBytes(StandardCharsets.UTF_8),
            ("{\"v\":1,\"sha256\":\""
                    + a.sha256()
                    + "\",\"phash\":1,"
                    + "\"at\":\"2026-01-01T00:00:00Z\"}")
                .getBytes(StandardCharsets.UTF_8));
    try (OneInputStreamOperatorTestHarness<byte[], Takedown> parse =
        ProcessFunctionTestHarnesses.forProcessFunction(new ParseTakedowns())) {
      for (byte[] b : bad) {
        parse.processElement(b, 1);
      }
      parse.processElement(good, 2);
      parse.processElement(
          new String(good, StandardCharsets.UTF_8)
              .replace(a.sha256(), a.sha256().toUpperCase())
              .getBytes(StandardCharsets.UTF_8),
          3);
      assertThat(parse.extractOutputValues())
          .as("the good one, and the upper-case one in lower case")
          .containsExactly(takedownOf(a), takedownOf(a));
    }
    for (byte[] b : bad) {
      assertThatThrownBy(() -> ParseTakedowns.parse(b)).isNotNull();
    }
  }
}
