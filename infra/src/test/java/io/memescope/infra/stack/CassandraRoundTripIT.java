package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.memescope.core.config.CassandraSettings;
import io.memescope.core.schema.Clients;
import io.memescope.infra.testing.TestStack;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CassandraRoundTripIT {
  private final CassandraSettings cassandra = TestStack.config().cassandra();

  @Test
  void rows_written_to_a_fresh_keyspace_are_read_back_with_every_type_intact() {
    String keyspace = TestStack.uniqueName("rt");
    Instant seen = Instant.parse("2026-11-23T12:00:00Z");
    try (CqlSession session = Clients.cassandra(cassandra)) {
      session.execute(
          "CREATE KEYSPACE "
              + keyspace
              + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      session.execute(
          "CREATE TABLE "
              + keyspace
              + ".images (id text PRIMARY KEY, width int, titles set<text>, first_seen timestamp,"
              + " thumb blob)");
      var insert =
          session.prepare(
              "INSERT INTO "
                  + keyspace
                  + ".images (id, width, titles, first_seen, thumb) VALUES (?, ?, ?, ?, ?)");
      session.execute(
          insert.bind(
              "abc",
              640,
              Set.of("one does not simply", "ünïcödé 🐸"),
              seen,
              ByteBuffer.wrap(new byte[] {1, 2, 3})));
      // An upsert by id replaces, it never duplicates.
      session.execute(
          insert.bind(
              "abc", 800, Set.of("one does not simply"), seen, ByteBuffer.wrap(new byte[] {4})));

      Row row = session.execute("SELECT * FROM " + keyspace + ".images WHERE id = 'abc'").one();
      long count = session.execute("SELECT count(*) FROM " + keyspace + ".images").one().getLong(0);
      session.execute("DROP KEYSPACE " + keyspace);

      assertThat(count).isEqualTo(1);
      assertThat(row.getInt("width")).isEqualTo(800);
      assertThat(row.getSet("titles", String.class)).containsExactly("one does not simply");
      assertThat(row.getInstant("first_seen")).isEqualTo(seen);
      ByteBuffer thumb = row.getByteBuffer("thumb");
      byte[] bytes = new byte[thumb.remaining()];
      thumb.get(bytes);
      assertThat(bytes).containsExactly(4);
    }
  }
}
