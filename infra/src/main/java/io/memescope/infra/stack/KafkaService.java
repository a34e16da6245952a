package io.memescope.infra.stack;

import io.memescope.core.config.KafkaSettings;
import io.memescope.core.config.MemescopeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/** A single Kafka broker in KRaft mode (combined broker and controller). */
final class KafkaService extends Service {
  private final KafkaSettings kafka;

  KafkaService(MemescopeConfig config, StackLayout layout) {
    super(config, layout);
    this.kafka = config.kafka();
  }

  @Override
  public String name() {
    return "kafka";
  }

  @Override
  protected List<String> startSettings() {
    return List.of(
        "kafka.host", "kafka.port", "kafka.controller-port", "kafka.heap", "stack.java-home");
  }

  @Override
  public String host() {
    return kafka.host();
  }

  @Override
  public Map<String, Integer> ports() {
    Map<String, Integer> ports = new LinkedHashMap<>();
    ports.put("kafka.port", kafka.port());
    ports.put("kafka.controller-port", kafka.controllerPort());
    return ports;
  }

  @Override
  public String endpoint() {
    return kafka.bootstrapServers();
  }

  Path logDirs() {
    return dataDir().resolve("kraft-logs");
  }

  private Path serverProperties() {
    return confDir().resolve("server.properties");
  }

  @Override
  protected void prepare(ProgressListener progress) throws IOException {
    Files.writeString(serverProperties(), serverConfig());
    Files.writeString(confDir().resolve("log4j2.xml"), Log4jConfig.CONSOLE);
    if (!Files.exists(logDirs().resolve("meta.properties"))) {
      progress.step(name(), "formatting storage in " + StackLayout.show(logDirs()));
      format();
    }
  }

  private void format() throws IOException {
    List<String> command =
        base()
            .main(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                Uuid.randomUuid().toString(),
                "-c",
                serverProperties().toString())
            .build();
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
            .start();
    try {
      if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new StackException(
            "kafka: formatting storage failed: "
                + LogDiagnosis.lastError(logFile())
                + "; see "
                + StackLayout.show(logFile()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("kafka: interrupted while formatting storage");
    }
  }

  String serverConfig() {
    String h = kafka.host();
    Properties p = new Properties();
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", "1");
    p.setProperty("controller.quorum.voters", "1@" + h + ":" + kafka.controllerPort());
    p.setProperty(
        "listeners",
        "PLAINTEXT://"
            + h
            + ":"
            + kafka.port()
            + ",CONTROLLER://"
            + h
            + ":"
            + kafka.controllerPort());
    p.setProperty("advertised.listeners", "PLAINTEXT://" + h + ":" + kafka.port());
    p.setProperty("controller.listener.names", "CONTROLLER");
    p.setProperty("inter.broker.listener.name", "PLAINTEXT");
    p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.setProperty("log.dirs", logDirs().toString());
    p.setProperty("num.partitions", "1");
    // Memescope creates its topics explicitly; a typo must not create a new one.
    p.setProperty("auto.create.topics.enable", "false");
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    for (String internal :
        List.of("offsets.topic", "transaction.state.log", "share.coordinator.state.topic")) {
      p.setProperty(internal + ".replication.factor", "1");
    }
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");
    StringBuilder out =
        new StringBuilder("# Written by memescope at every start; edit the config.\n");
    p.stringPropertyNames().stream()
        .sorted()
        .forEach(k -> out.append(k).append('=').append(escaped(p.getProperty(k))).append('\n'));
    return out.toString();
  }

  /**
   * {@code value} as a properties file holds it. Kafka reads the file as ISO-8859-1, as {@link
   * Properties#load(java.io.InputStream)} does: a home named {@code memes é} written as UTF-8 was
   * read as {@code memes Ã©}, and the broker kept its logs in a folder of that name. Every
   * character outside ASCII is written as a {@code \\uXXXX} escape, and a backslash as two.
   */
  static String escaped(String value) {
    StringBuilder out = new StringBuilder(value.length());
    for (char c : value.toCharArray()) {
      if (c == '\\') {
        out.append("\\\\");
      } else if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private JavaCommand base() {
    return new JavaCommand(config.stack())
        .heapMegabytes(kafka.heapMegabytes())
        .option("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true")
        .property("log4j2.configurationFile", confDir().resolve("log4j2.xml"))
        .property("memescope.data", dataDir())
        .classpath(Runtimes.classpath("kafka"));
  }

  @Override
  protected List<String> command() {
    return base().main("kafka.Kafka", serverProperties().toString()).build();
  }

  @Override
  public Health probe() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
    try (Admin admin = Admin.create(props)) {
      int brokers = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
      return Health.ok(brokers + " broker(s)");
    } catch (Exception e) {
      return Health.down("broker not answering: " + e.getClass().getSimpleName());
    }
  }
}
