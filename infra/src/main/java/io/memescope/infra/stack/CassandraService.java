package io.memescope.infra.stack;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.CassandraSettings;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Clients;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One Cassandra 5 node, run from {@code cassandra-all} with the JDK 17 flags it needs. */
final class CassandraService extends Service {
  /** From Cassandra's own conf/jvm17-server.options: without them it dies at once on JDK 17. */
  static final List<String> JDK17_OPTIONS =
      List.of(
          "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
          "--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED",
          "--add-exports=java.sql/java.sql=ALL-UNNAMED",
          "--add-exports=java.base/java.lang.ref=ALL-UNNAMED",
          "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
          "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
          "--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.module=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.math=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.module=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED",
          "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "-Djdk.attach.allowAttachSelf=true",
          "-Dio.netty.tryReflectionSetAccessible=true");

  /**
   * The commit log's sync mode. {@code batch}: a write is acknowledged once its commit log entry is
   * on disk. Cassandra's default, {@code periodic}, acknowledges first and closes each commit log
   * section with a sync marker every 100 ms (later on a busy machine); replay after a crash stops
   * at the last marker. On a cluster other replicas hold those writes; this stack is one node with
   * replication factor 1, so a SIGKILL lost acknowledged writes, and with them the ingest job's
   * exactly-once guarantee ({@code CassandraCrashIT} lost 186, 105 and 74 of about 3,000
   * acknowledged rows in three runs out of three).
   */
  static final String COMMITLOG_SYNC = "batch";

  private final CassandraSettings cassandra;

  CassandraService(MemescopeConfig config, StackLayout layout) {
    super(config, layout);
    this.cassandra = config.cassandra();
  }

  @Override
  public String name() {
    return "cassandra";
  }

  @Override
  protected List<String> startSettings() {
    return List.of(
        "cassandra.host",
        "cassandra.native-port",
        "cassandra.storage-port",
        "cassandra.jmx-port",
        "cassandra.heap",
        "stack.java-home");
  }

  @Override
  public String host() {
    return cassandra.host();
  }

  @Override
  public Map<String, Integer> ports() {
    Map<String, Integer> ports = new LinkedHashMap<>();
    ports.put("cassandra.native-port", cassandra.nativePort());
    ports.put("cassandra.storage-port", cassandra.storagePort());
    ports.put("cassandra.jmx-port", cassandra.jmxPort());
    return ports;
  }

  @Override
  public String endpoint() {
    return cassandra.host() + ":" + cassandra.nativePort();
  }

  private Path yaml() {
    return confDir().resolve("cassandra.yaml");
  }

  @Override
  protected void prepare(ProgressListener progress) throws IOException {
    Files.writeString(yaml(), yamlConfig());
    Files.writeString(confDir().resolve("logback.xml"), LOGBACK);
  }

  String yamlConfig() {
    String h = cassandra.host();
    // A single development node: one token, no waiting for a ring that will never form.
    return """
        # Written by memescope at every start; change the memescope settings instead.
        cluster_name: memescope
        num_tokens: 1
        initial_token: 0
        partitioner: org.apache.cassandra.dht.Murmur3Partitioner
        endpoint_snitch: SimpleSnitch
        seed_provider:
          - class_name: org.apache.cassandra.locator.SimpleSeedProvider
            parameters:
              - seeds: "%s:%d"
        listen_address: %s
        rpc_address: %s
        storage_port: %d
        native_transport_port: %d
        commitlog_sync: %s
        """
        .formatted(
            h,
            cassandra.storagePort(),
            h,
            h,
            cassandra.storagePort(),
            cassandra.nativePort(),
            COMMITLOG_SYNC);
  }

  /**
   * A Cassandra started by an older build runs the commit log as {@link #COMMITLOG_SYNC} says only
   * if the file it was started with says so (it is written at every start).
   */
  @Override
  public Optional<String> outdated(String commandLine) {
    String yaml;
    try {
      yaml = Files.readString(yaml());
    } catch (IOException e) {
      return Optional.empty(); // cannot tell
    }
    if (yaml.contains("commitlog_sync: " + COMMITLOG_SYNC + "\n")) {
      return Optional.empty();
    }
    return Optional.of(
        "was started without commitlog_sync: "
            + COMMITLOG_SYNC
            + ", so a crash can lose writes it acknowledged; restart it: ./memescope down"
            + " cassandra && ./memescope up");
  }

  @Override
  protected List<String> command() {
    return new JavaCommand(config.stack())
        .heapMegabytes(cassandra.heapMegabytes())
        .option("-Xss256k", "-XX:+UseG1GC", "-Djava.net.preferIPv4Stack=true")
        .options(JDK17_OPTIONS)
        .property("cassandra-foreground", "yes")
        .property("cassandra.config", yaml().toUri())
        .property("cassandra.storagedir", dataDir())
        .property("cassandra.jmx.local.port", cassandra.jmxPort())
        // JMX's RMI stub would otherwise take a random port.
        .property("com.sun.management.jmxremote.rmi.port", cassandra.jmxPort())
        .property("cassandra.skip_wait_for_gossip_to_settle", 0)
        .property("cassandra.ring_delay_ms", 0)
        .property("cassandra.superuser_setup_delay_ms", 0)
        .property("cassandra.shutdown_announce_in_ms", 0)
        // Skips a ~3 s measurement of memtable row overhead at every start.
        .property("cassandra.memtable.row_overhead_size", 180)
        .property("logback.configurationFile", confDir().resolve("logback.xml"))
        .property("memescope.data", dataDir())
        .classpath(Runtimes.classpath("cassandra"))
        .main("org.apache.cassandra.service.CassandraDaemon")
        .build();
  }

  @Override
  public Health probe() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(cassandra.host(), cassandra.nativePort()), 1000);
    } catch (IOException e) {
      return Health.down("CQL port " + cassandra.nativePort() + " closed");
    }
    try (CqlSession session = Clients.cassandraProbe(cassandra, Duration.ofSeconds(3))) {
      String version =
          session.execute("SELECT release_version FROM system.local").one().getString(0);
      return Health.ok("Cassandra " + version);
    } catch (RuntimeException e) {
      return Health.down("CQL not answering: " + e.getClass().getSimpleName());
    }
  }

  private static final String LOGBACK =
      """
      <configuration scan="false">
        <appender name="out" class="ch.qos.logback.core.ConsoleAppender">
          <encoder>
            <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>
          </encoder>
        </appender>
        <root level="INFO">
          <appender-ref ref="out"/>
        </root>
      </configuration>
      """;
}
