package io.memescope.infra.stack;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import io.memescope.core.config.MemescopeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One server process of the local stack: how to prepare its files, the command that runs it, the
 * ports it binds and how to tell that it is ready. The {@link Supervisor} does the rest.
 */
public abstract class Service {
  protected final MemescopeConfig config;
  protected final StackLayout layout;

  protected Service(MemescopeConfig config, StackLayout layout) {
    this.config = config;
    this.layout = layout;
  }

  /** Short name used for files, the CLI and messages, e.g. {@code kafka}. */
  public abstract String name();

  /** The address it binds; the local stack only binds loopback addresses. */
  public abstract String host();

  /** Every port it binds, by the configuration key that sets it. */
  public abstract Map<String, Integer> ports();

  /** What people connect to, e.g. {@code 127.0.0.1:9092} or a URL. */
  public abstract String endpoint();

  /** Writes configuration and initialises storage; runs before every start. */
  protected abstract void prepare(ProgressListener progress) throws IOException;

  /** The full command line; it must contain {@link #dataDir()} so the process can be recognised. */
  protected abstract List<String> command() throws IOException;

  /** A quick check (a few seconds at most) that the service answers its clients. */
  public abstract Health probe();

  /**
   * Application processes (the crawler, later the job submitter, serving, the rater) start after
   * the infrastructure and the schema.
   */
  public boolean application() {
    return false;
  }

  /**
   * When the running process, started with {@code commandLine}, was started from an older build of
   * the project than the one on disk now, what to tell the user; empty when it is current (or this
   * service cannot tell).
   */
  public Optional<String> outdated(String commandLine) {
    return Optional.empty();
  }

  /**
   * The settings (paths in the configuration, a subtree or a single value) this process is started
   * from, so that a change to one takes a restart. {@code up} records their values when it starts
   * the process, and says when they differ from the settings it is run with while the process runs
   * on ({@link #otherSettings}); until 2026-12-06 it reused such a process in silence, so a new
   * port or heap did nothing, and the processes started next were given the new port.
   */
  protected List<String> startSettings() {
    return List.of();
  }

  /** What a client of Kafka is started from (not the broker's own heap or controller port). */
  protected static final List<String> KAFKA_CLIENT =
      List.of("kafka.host", "kafka.port", "kafka.topics");

  /** What a client of Cassandra is started from. */
  protected static final List<String> CASSANDRA_CLIENT =
      List.of(
          "cassandra.host",
          "cassandra.native-port",
          "cassandra.keyspace",
          "cassandra.local-datacenter",
          "cassandra.request-timeout");

  /** What a client of Milvus is started from. */
  protected static final List<String> MILVUS_CLIENT =
      List.of(
          "milvus.host", "milvus.port", "milvus.collection", "milvus.index-type", "milvus.metric");

  /** {@code own}, the Java it runs on, and the settings of the stores it is a client of. */
  @SafeVarargs
  protected static List<String> settings(List<String> own, List<String>... clientOf) {
    List<String> out = new java.util.ArrayList<>(own);
    out.add("stack.java-home"); // every application is a JVM the stack starts
    for (List<String> c : clientOf) {
      out.addAll(c);
    }
    return List.copyOf(out);
  }

  private Path startedWithFile() {
    return dataDir().resolve("started-with.conf");
  }

  /** The values of {@link #startSettings} now, as the processes see them (paths resolved). */
  Config startValues() {
    Config all = Runtimes.settingsForProcesses(config);
    Config out = ConfigFactory.empty();
    for (String path : startSettings()) {
      if (all.hasPath(path)) {
        out = out.withValue(path, all.getValue(path));
      }
    }
    return out;
  }

  /** Records the values of {@link #startSettings}, as the process is about to start with them. */
  void recordStartSettings() throws IOException {
    // The owner's only: a process's start settings may hold its admin key or password.
    SecretFile.write(
        startedWithFile(),
        "# The settings "
            + name()
            + " was started with; `up` compares them with its own while it runs.\n"
            + startValues().root().render(ConfigRenderOptions.concise().setFormatted(true)));
  }

  /**
   * When the running process was started with other values of its {@link #startSettings} than this
   * stack's configuration gives now, which and what to do; empty when they agree, or when the
   * process was started by a build that kept no record.
   */
  public Optional<String> otherSettings() {
    Path file = startedWithFile();
    if (startSettings().isEmpty() || !Files.isRegularFile(file)) {
      return Optional.empty();
    }
    Map<String, String> then;
    try {
      then = flat(ConfigFactory.parseFile(file.toFile()));
    } catch (ConfigException e) {
      return Optional.empty(); // cannot tell
    }
    Map<String, String> now = flat(startValues());
    java.util.SortedSet<String> keys = new java.util.TreeSet<>(then.keySet());
    keys.addAll(now.keySet());
    List<String> changed = new java.util.ArrayList<>();
    for (String key : keys) {
      if (!java.util.Objects.equals(then.get(key), now.get(key))) {
        changed.add(
            SECRET.matcher(key).find()
                ? key + " changed"
                : key
                    + " "
                    + then.getOrDefault(key, "unset")
                    + ", now "
                    + now.getOrDefault(key, "unset"));
      }
    }
    return changed.isEmpty()
        ? Optional.empty()
        : Optional.of(
            "was started with other settings ("
                + String.join("; ", changed)
                + "); restart it to apply them: ./memescope down "
                + name()
                + " && ./memescope up");
  }

  /** Settings whose values a message must not show (the admin key, a password). */
  private static final java.util.regex.Pattern SECRET =
      java.util.regex.Pattern.compile("(password|secret|token|admin-key)\"?$");

  /**
   * Each value as text that does not depend on how it was written: 9092 and "9092" alike, and the
   * fields of an object (a crawler source) in name order, as the recorded file has them.
   */
  private static Map<String, String> flat(Config config) {
    Map<String, String> out = new java.util.HashMap<>();
    config.entrySet().forEach(e -> out.put(e.getKey(), canonical(e.getValue().unwrapped())));
    return out;
  }

  static String canonical(Object value) {
    if (value instanceof Map<?, ?> map) {
      java.util.SortedMap<String, String> sorted = new java.util.TreeMap<>();
      map.forEach((k, v) -> sorted.put(String.valueOf(k), canonical(v)));
      return sorted.toString();
    }
    if (value instanceof List<?> list) {
      return list.stream().map(Service::canonical).toList().toString();
    }
    return String.valueOf(value);
  }

  /**
   * What {@link #outdated} says of a process whose staged copies of {@code stale} (build outputs)
   * differ from the build: empty when none does.
   */
  protected Optional<String> olderBuild(List<String> stale, String consequence) {
    return stale.isEmpty()
        ? Optional.empty()
        : Optional.of(
            "runs an older build of "
                + String.join(", ", stale)
                + consequence
                + "; restart it to load the new ones: ./memescope down "
                + name()
                + " && ./memescope up");
  }

  protected Map<String, String> environment() {
    return Map.of();
  }

  /** The signal that asks the process to shut down cleanly. */
  protected String stopSignal() {
    return "TERM";
  }

  public Path dataDir() {
    return layout.dataDir(name());
  }

  public Path logFile() {
    return layout.logFile(name());
  }

  public Path confDir() {
    return layout.confDir(name());
  }

  @Override
  public String toString() {
    return name();
  }
}
