package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.config.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaServiceTest {
  @TempDir Path tmp;

  @Test
  void the_broker_reads_its_log_folder_as_named_whatever_the_home_is_called() throws Exception {
    // Kafka reads server.properties as ISO-8859-1 (Properties.load of a stream). Written as
    // UTF-8 until 2026-12-06, a home named "my memes é" was read as "my memes Ã©", and the
    // broker kept its logs there, out of reach of `down`'s clean-up and of a later format check.
    Path home = tmp.resolve("my memes é \\ 漫");
    var config = new ConfigLoader().optOverride("home", home.toString()).load();
    KafkaService kafka = new KafkaService(config, new StackLayout(config.home()));
    byte[] written = kafka.serverConfig().getBytes(StandardCharsets.UTF_8);
    Properties read = new Properties();
    read.load(new ByteArrayInputStream(written)); // as Kafka's Utils.loadProps reads it
    assertThat(read.getProperty("log.dirs")).isEqualTo(kafka.logDirs().toString());
    assertThat(read.getProperty("log.dirs")).contains("my memes é \\ 漫");
  }
}
