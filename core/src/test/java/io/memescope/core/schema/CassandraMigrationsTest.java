package io.memescope.core.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class CassandraMigrationsTest {
  @Test
  void parses_statements_and_takes_the_first_comment_as_description() {
    var migration =
        CassandraMigrations.parse(
            7,
            """
            -- Adds ratings.
            -- more words
            CREATE TABLE IF NOT EXISTS a (
              id text PRIMARY KEY
            );

            CREATE TABLE IF NOT EXISTS b (id int PRIMARY KEY);
            """);

    assertThat(migration.version()).isEqualTo(7);
    assertThat(migration.description()).isEqualTo("Adds ratings.");
    assertThat(migration.cql())
        .containsExactly(
            "CREATE TABLE IF NOT EXISTS a (\n  id text PRIMARY KEY\n)",
            "CREATE TABLE IF NOT EXISTS b (id int PRIMARY KEY)");
  }

  @Test
  void a_statement_without_terminator_is_an_error() {
    assertThatThrownBy(() -> CassandraMigrations.parse(3, "CREATE TABLE x (id int PRIMARY KEY)"))
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("V003.cql")
        .hasMessageContaining("no ';'");
  }

  @Test
  void checksum_changes_with_content() {
    String a = CassandraMigrations.parse(1, "CREATE TABLE x (id int PRIMARY KEY);").checksum();
    String b = CassandraMigrations.parse(1, "CREATE TABLE y (id int PRIMARY KEY);").checksum();
    assertThat(a).isNotEqualTo(b).hasSize(64);
  }

  @Test
  void shipped_migrations_are_numbered_from_one_without_gaps() {
    List<CassandraMigrations.Migration> migrations = CassandraMigrations.available();
    assertThat(migrations).isNotEmpty();
    for (int i = 0; i < migrations.size(); i++) {
      assertThat(migrations.get(i).version()).isEqualTo(i + 1);
      assertThat(migrations.get(i).description()).isNotBlank();
      assertThat(migrations.get(i).cql()).isNotEmpty();
    }
    assertThat(migrations.get(0).cql())
        .anySatisfy(cql -> assertThat(cql).startsWith("CREATE TABLE IF NOT EXISTS images"));
  }
}
