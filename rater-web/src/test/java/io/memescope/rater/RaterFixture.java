package io.memescope.rater;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.embed.PilImage;
import io.memescope.core.image.Thumbnailer;
import io.memescope.core.schema.CassandraMigrations;
import io.memescope.core.schema.Clients;
import io.memescope.infra.testing.Memes;
import io.memescope.infra.testing.TestStack;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A keyspace of its own on the test stack's Cassandra, holding generated memes with real thumbnails
 * (as the ingest job writes them), for the rater app's tests and benchmark.
 */
final class RaterFixture {
  private RaterFixture() {}

  /** The test stack's settings with a fresh keyspace and the given overrides. */
  static MemescopeConfig config(Map<String, String> overrides) {
    TestStack.config(); // up and healthy
    Map<String, String> all = new HashMap<>(overrides);
    all.putIfAbsent("cassandra.keyspace", TestStack.uniqueName("rater"));
    MemescopeConfig config = TestStack.load(all);
    try (CqlSession s = Clients.cassandra(config.cassandra())) {
      new CassandraMigrations(s, config.cassandra()).apply();
    }
    return config;
  }

  /** Writes {@code n} generated memes (image rows and both thumbnails); returns their ids. */
  static List<String> seedImages(MemescopeConfig config, int n) throws Exception {
    List<String> ids = new ArrayList<>();
    ImageDecoder decoder = new ImageDecoder();
    try (CqlSession s = Clients.cassandraKeyspace(config.cassandra())) {
      PreparedStatement image =
          s.prepare(
              "INSERT INTO images (id, sha256, width, height, format, byte_size, titles, sources,"
                  + " first_seen, last_seen) VALUES (?, ?, ?, ?, 'png', ?, ?, {'test'}, ?, ?)");
      PreparedStatement thumb =
          s.prepare(
              "INSERT INTO image_thumbnails (image_id, size, format, width, height, data)"
                  + " VALUES (?, ?, ?, ?, ?, ?)");
      for (int i = 0; i < n; i++) {
        String caption = Memes.WORDS[i % Memes.WORDS.length] + " " + i;
        byte[] bytes = Memes.encode(Memes.meme(70_000 + i, caption), "png");
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        String id = sha.substring(0, 32);
        PilImage decoded = decoder.decode(bytes);
        for (Thumbnailer.Size size : Thumbnailer.SIZES) {
          Thumbnailer.Thumbnail t = Thumbnailer.of(decoded, size);
          s.execute(
              thumb.bind(
                  id, t.size(), t.format(), t.width(), t.height(), ByteBuffer.wrap(t.data())));
        }
        Instant now = Instant.now();
        s.execute(
            image.bind(
                id,
                sha,
                decoded.width(),
                decoded.height(),
                (long) bytes.length,
                java.util.Set.of(caption),
                now,
                now));
        ids.add(id);
      }
    }
    return ids;
  }
}
