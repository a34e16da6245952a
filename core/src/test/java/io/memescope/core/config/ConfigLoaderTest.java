package io.memescope.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  @Test
  void defaults_are_complete_and_valid() {
    MemescopeConfig config = MemescopeConfig.defaults();

    assertThat(config.home()).isEqualTo(Path.of(".memescope"));
    assertThat(config.kafka().bootstrapServers()).isEqualTo("127.0.0.1:9092");
    assertThat(config.kafka().topic("models").compacted()).isTrue();
    assertThat(config.kafka().topic("crawl-urls").name()).isEqualTo("memescope.crawl.urls");
    assertThat(config.cassandra().keyspace()).isEqualTo("memescope");
    assertThat(config.milvus().uri()).isEqualTo("http://127.0.0.1:19530");
    assertThat(config.flink().restUrl()).isEqualTo("http://127.0.0.1:8081");
    assertThat(config.stack().startTimeout()).isEqualTo(Duration.ofSeconds(150));
  }

  @Test
  void a_relative_model_directory_is_the_repositorys_wherever_the_command_runs() {
    // The launcher says where the repository is; the tests' JVMs get it from the build, and they
    // run in a module's folder, where models/tiny is not.
    String root = System.getProperty("memescope.root");
    org.junit.jupiter.api.Assumptions.assumeTrue(root != null, "memescope.root is not set");
    Path repository = Path.of(root).toAbsolutePath().normalize();
    assertThat(MemescopeConfig.defaults().model().dir())
        .isEqualTo(repository.resolve("models/tiny"))
        .isDirectory();
    Path elsewhere = Path.of("/opt/models/clip").toAbsolutePath();
    assertThat(
            new ConfigLoader().optOverride("model.dir", elsewhere.toString()).load().model().dir())
        .isEqualTo(elsewhere);
  }

  @Test
  void lists_can_be_set_on_the_command_line_and_rendered_settings_load_back() {
    MemescopeConfig config =
        new ConfigLoader()
            .optOverride("ingest.fetch.allow-private-hosts", "[localhost, nas.lan]")
            .optOverride("ingest.fetch.timeout", "4s")
            .load();
    assertThat(config.ingest().allowPrivateHosts())
        .containsExactlyInAnyOrder("localhost", "nas.lan");

    MemescopeConfig again = new ConfigLoader().optText(config.render()).load();
    assertThat(again.ingest()).isEqualTo(config.ingest());
    assertThat(again.crawler()).isEqualTo(config.crawler());

    assertThatThrownBy(
            () -> new ConfigLoader().optOverride("ingest.fetch.allow-private-hosts", "[a,").load())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("ingest.fetch.allow-private-hosts");
  }

  @Test
  void file_then_environment_then_command_line_take_precedence() throws IOException {
    Path file = write("kafka.port = 1111\ncassandra.native-port = 2222\nmilvus.port = 3333\n");

    MemescopeConfig config =
        new ConfigLoader()
            .optFile(file)
            .optEnvironment(
                Map.of("MEMESCOPE_CASSANDRA_NATIVE_PORT", "4444", "MEMESCOPE_MILVUS_PORT", "5555"))
            .optOverride("milvus.port", "6666")
            .load();

    assertThat(config.kafka().port()).isEqualTo(1111);
    assertThat(config.cassandra().nativePort()).isEqualTo(4444);
    assertThat(config.milvus().port()).isEqualTo(6666);
  }

  @Test
  void an_environment_variable_that_names_no_setting_gets_a_warning_with_the_closest_one() {
    ConfigLoader loader =
        new ConfigLoader()
            .optEnvironment(
                Map.of(
                    "MEMESCOPE_INGEST_FETCH_ALLOW_PRIVATE_HOST", "nas", // the S is missing
                    "MEMESCOPE_KAFKA_PORT", "19092",
                    "MEMESCOPE_JAVA_OPTS", "-Dx=y",
                    "MEMESCOPE_MODELS", "../../models",
                    "MEMESCOPE_NOTHING_LIKE_IT", "1",
                    "PATH", "/usr/bin"));
    assertThat(loader.unknownEnvironment(ConfigLoader.defaults()))
        .containsExactly(
            "environment variable MEMESCOPE_INGEST_FETCH_ALLOW_PRIVATE_HOST is not a Memescope"
                + " setting and is ignored (did you mean"
                + " MEMESCOPE_INGEST_FETCH_ALLOW_PRIVATE_HOSTS?)",
            "environment variable MEMESCOPE_NOTHING_LIKE_IT is not a Memescope setting and is"
                + " ignored");
    // A warning, not an error: the rest still loads.
    assertThat(loader.load().kafka().bootstrapServers()).isEqualTo("127.0.0.1:19092");
  }

  @Test
  void environment_names_follow_the_key() {
    assertThat(ConfigLoader.envName("flink.taskmanager.process-memory"))
        .isEqualTo("MEMESCOPE_FLINK_TASKMANAGER_PROCESS_MEMORY");
    MemescopeConfig config =
        new ConfigLoader()
            .optEnvironment(Map.of("MEMESCOPE_KAFKA_TOPICS_CRAWL_URLS_PARTITIONS", "12"))
            .load();
    assertThat(config.kafka().topic("crawl-urls").partitions()).isEqualTo(12);
  }

  @Test
  void a_list_setting_comes_from_the_environment_as_hocon_or_comma_separated() {
    MemescopeConfig plain =
        new ConfigLoader()
            .optEnvironment(Map.of("MEMESCOPE_INGEST_FETCH_ALLOW_PRIVATE_HOSTS", "127.0.0.1, nas"))
            .load();
    assertThat(plain.ingest().allowPrivateHosts()).containsExactlyInAnyOrder("127.0.0.1", "nas");
    MemescopeConfig hocon =
        new ConfigLoader()
            .optEnvironment(Map.of("MEMESCOPE_INGEST_FETCH_FILE_ROOTS", "[\"/data/a\", \"/b\"]"))
            .load();
    assertThat(hocon.ingest().fileRoots()).containsExactly("/data/a", "/b");
    assertThatThrownBy(
            () ->
                new ConfigLoader()
                    .optEnvironment(Map.of("MEMESCOPE_INGEST_FETCH_FILE_ROOTS", "[\"/data\""))
                    .load())
        .hasMessageContaining("MEMESCOPE_INGEST_FETCH_FILE_ROOTS");
  }

  @Test
  void unknown_key_in_file_is_rejected_with_a_suggestion() throws IOException {
    Path file = write("kafka.prot = 1234\n");

    assertThatThrownBy(() -> new ConfigLoader().optFile(file).load())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("unknown setting 'kafka.prot'")
        .hasMessageContaining(file.getFileName().toString())
        .hasMessageContaining("did you mean kafka.port?");
  }

  @Test
  void unknown_key_on_command_line_is_rejected() {
    assertThatThrownBy(() -> new ConfigLoader().optOverride("milvus.colection", "x").load())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("unknown setting 'milvus.colection'")
        .hasMessageContaining("command line");
  }

  @Test
  void wrong_type_names_the_key_and_the_file() throws IOException {
    Path file = write("kafka.port = \"ninety\"\n");

    assertThatThrownBy(() -> new ConfigLoader().optFile(file).load())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("kafka.port");
  }

  @Test
  void out_of_range_values_are_all_reported_at_once() {
    assertThatThrownBy(
            () ->
                new ConfigLoader()
                    .optOverride("kafka.port", "70000")
                    .optOverride("flink.taskmanager.slots", "0")
                    .optOverride("stack.start-timeout", "0s")
                    .load())
        .isInstanceOfSatisfying(
            InvalidConfigException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(p -> assertThat(p).startsWith("kafka.port is 70000"))
                    .anySatisfy(p -> assertThat(p).startsWith("flink.taskmanager.slots is 0"))
                    .anySatisfy(p -> assertThat(p).startsWith("stack.start-timeout")));
  }

  @Test
  void two_services_on_one_port_is_an_error_naming_both_keys() {
    assertThatThrownBy(() -> new ConfigLoader().optOverride("milvus.port", "9092").load())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("milvus.port is 9092, the same port as kafka.port");
  }

  @Test
  void trusted_proxies_are_ip_literals_compared_in_one_spelling() {
    var serving =
        new ConfigLoader()
            .optOverride("serving.trusted-proxies", "[\"127.0.0.1\", \"::1\", \"[fe80::1]\"]")
            .load()
            .serving();
    assertThat(serving.trustedProxies())
        .containsExactlyInAnyOrder("127.0.0.1", "0:0:0:0:0:0:0:1", "fe80:0:0:0:0:0:0:1");
    // A host name would need a DNS look-up, and could change under us.
    assertThatThrownBy(
            () ->
                new ConfigLoader().optOverride("serving.trusted-proxies", "[proxy.example]").load())
        .hasMessageContaining("serving.trusted-proxies 'proxy.example' is not an IP address");
    assertThatThrownBy(
            () ->
                new ConfigLoader().optOverride("serving.trusted-proxies", "[\"300.1.1.1\"]").load())
        .hasMessageContaining("'300.1.1.1' is not an IP address");
    assertThat(io.memescope.core.net.ClientAddress.normal("cafe")).isNull();
    assertThat(
            new ConfigLoader()
                .optOverride("rater.trusted-proxies", "[\"::1\"]")
                .load()
                .rater()
                .trustedProxies())
        .containsExactly("0:0:0:0:0:0:0:1");
    assertThatThrownBy(
            () -> new ConfigLoader().optOverride("rater.trusted-proxies", "[nginx]").load())
        .hasMessageContaining("rater.trusted-proxies 'nginx' is not an IP address");
  }

  @Test
  void sizes_and_timeouts_past_what_the_job_can_use_are_refused_when_read() {
    // Each passed the loader and failed inside the running job: the read buffer's 2 GiB limit,
    // OkHttp's timeout limit (about 24 days), an int overflow of the decoded samples.
    assertThatThrownBy(() -> new ConfigLoader().optOverride("ingest.fetch.max-bytes", "4g").load())
        .hasMessageContaining("ingest.fetch.max-bytes is 4096m, must be at most 2047m");
    assertThatThrownBy(() -> new ConfigLoader().optOverride("ingest.fetch.timeout", "30d").load())
        .hasMessageContaining("ingest.fetch.timeout is PT720H, must be at most 3600s");
    assertThatThrownBy(
            () -> new ConfigLoader().optOverride("model.max-pixels", "1000000000").load())
        .hasMessageContaining("model.max-pixels is 1000000000, must be at most 268435456");
    assertThat(new ConfigLoader().optOverride("ingest.fetch.max-bytes", "2047m").load())
        .isNotNull();
  }

  @Test
  void invalid_enumerations_and_names_are_rejected() {
    assertThatThrownBy(() -> new ConfigLoader().optOverride("milvus.metric", "EUCLID").load())
        .hasMessageContaining("milvus.metric 'EUCLID' is not one of");
    // A distance, where serving ranks and pages by similarity (higher first).
    assertThatThrownBy(() -> new ConfigLoader().optOverride("milvus.metric", "L2").load())
        .hasMessageContaining("milvus.metric 'L2' is not one of")
        .hasMessageContaining("COSINE ranks the same");
    assertThatThrownBy(
            () -> new ConfigLoader().optOverride("cassandra.keyspace", "drop table;").load())
        .hasMessageContaining("cassandra.keyspace 'drop table;' is not a valid keyspace name");
  }

  @Test
  void missing_config_file_is_an_error() {
    assertThatThrownBy(() -> new ConfigLoader().optFile(dir.resolve("nope.conf")).load())
        .hasMessageContaining("nope.conf does not exist");
  }

  @Test
  void malformed_file_is_an_error_with_its_line() throws IOException {
    Path file = write("kafka {\n  port = \n");

    assertThatThrownBy(() -> new ConfigLoader().optFile(file).load())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining(file.getFileName().toString());
  }

  private Path write(String text) throws IOException {
    Path file = dir.resolve("memescope.conf");
    Files.writeString(file, text);
    return file;
  }
}
