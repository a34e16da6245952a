package io.memescope.infra.stack;

import io.memescope.core.config.FlinkSettings;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.embed.DecodeMemory;
import io.memescope.infra.flink.FlinkRestClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A process of the Flink standalone session cluster: the JobManager, or TaskManager {@code index}.
 * Started by hand rather than through Flink's scripts (flink-dist is not on Maven Central), so the
 * JVM sizes that the scripts would compute are computed here from the same memory model.
 */
final class FlinkService extends Service {
  /** Flink's default {@code env.java.opts.all} for JDK 17. */
  static final List<String> JDK17_OPTIONS =
      List.of(
          "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED",
          "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
          "--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED",
          "--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED",
          "--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED",
          "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.text=ALL-UNNAMED",
          "--add-opens=java.base/java.time=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  // Fixed parts of the memory model (MiB); the heap takes what is left of the process size.
  static final long METASPACE = 160;
  // The ingest job's libraries (DJL, the Cassandra and Milvus drivers, Kafka) need more.
  static final long TM_METASPACE = 256;
  static final long JM_OFF_HEAP = 64;
  static final long JM_OVERHEAD = 64;
  static final long TM_OVERHEAD = 96;
  static final long TM_FRAMEWORK_HEAP = 128;
  static final long TM_FRAMEWORK_OFF_HEAP = 128;
  static final long TM_NETWORK = 64;
  static final long TM_MANAGED = 256;

  /**
   * The TaskManager's collector. Its work is throughput: every image allocates a few MB that die
   * young (decoded pixels, the model's 600 KB float input, thumbnails), and its state lives in
   * RocksDB, off the heap. The parallel collector does that for less CPU than G1, whose concurrent
   * marking and humongous 600 KB arrays cost the ingest job 0.9 ms of CPU per image against 0.5
   * (docs/benchmarks.md). Its pauses on this heap, measured over 22,000 images (jstat), were 8 ms
   * for a young collection and 0.1 s for a full one: well inside the checkpoint interval and the
   * heartbeat timeout.
   */
  static final String TM_GC = "-XX:+UseParallelGC";

  private final FlinkSettings flink;
  private final int index; // -1 for the JobManager

  private FlinkService(MemescopeConfig config, StackLayout layout, int index) {
    super(config, layout);
    this.flink = config.flink();
    this.index = index;
  }

  static FlinkService jobManager(MemescopeConfig config, StackLayout layout) {
    return new FlinkService(config, layout, -1);
  }

  static FlinkService taskManager(MemescopeConfig config, StackLayout layout, int index) {
    return new FlinkService(config, layout, index);
  }

  private boolean isJobManager() {
    return index < 0;
  }

  @Override
  public String name() {
    return isJobManager() ? "flink-jobmanager" : "flink-taskmanager-" + index;
  }

  @Override
  protected List<String> startSettings() {
    // libtorch's threads reach the TaskManagers by their environment (Supervisor).
    return List.of("flink", "model.torch-threads", "stack.java-home");
  }

  String resourceId() {
    return "memescope-taskmanager-" + index;
  }

  @Override
  public String host() {
    return flink.host();
  }

  @Override
  public Map<String, Integer> ports() {
    Map<String, Integer> ports = new LinkedHashMap<>();
    if (isJobManager()) {
      ports.put("flink.rest-port", flink.restPort());
      ports.put("flink.rpc-port", flink.rpcPort());
      ports.put("flink.blob-port", flink.blobPort());
      ports.put("flink.query-port", flink.queryPort());
      ports.put("flink.metrics-port", flink.metricsPort());
    } else {
      ports.put("flink.taskmanager.port-base (rpc)", flink.taskManagerRpcPort(index));
      ports.put("flink.taskmanager.port-base (data)", flink.taskManagerDataPort(index));
      ports.put("flink.taskmanager.port-base (query)", flink.taskManagerQueryPort(index));
      ports.put("flink.metrics-port (taskmanager)", flink.taskManagerMetricsPort(index));
    }
    return ports;
  }

  @Override
  public String endpoint() {
    return isJobManager() ? flink.restUrl() : flink.host() + ":" + flink.taskManagerRpcPort(index);
  }

  @Override
  protected void prepare(ProgressListener progress) throws IOException {
    for (String dir : List.of("tmp", "upload", "checkpoints", "savepoints")) {
      StackLayout.createDirectories(dataDir().resolve(dir));
    }
    Files.writeString(confDir().resolve("config.yaml"), yaml());
    Files.writeString(confDir().resolve("log4j2.xml"), Log4jConfig.CONSOLE);
  }

  String yaml() {
    Map<String, Object> c = new LinkedHashMap<>();
    String h = flink.host();
    c.put("jobmanager.rpc.address", h);
    c.put("jobmanager.rpc.port", flink.rpcPort());
    c.put("jobmanager.bind-host", h);
    c.put("rest.address", h);
    c.put("rest.bind-address", h);
    c.put("rest.port", flink.restPort());
    c.put("blob.server.port", "\"" + flink.blobPort() + "\"");
    c.put("taskmanager.numberOfTaskSlots", flink.taskManagerSlots());
    c.put("parallelism.default", 1);
    // A restarted JobManager is found again within seconds, not after the 50 s default.
    c.put("heartbeat.interval", 2000);
    c.put("heartbeat.timeout", 10000);
    c.put("state.backend.type", "rocksdb");
    // Each checkpoint uploads only the RocksDB files new since the last, as on the clusters
    // (infra/k8s, infra/compose): a full copy of the seen URLs (30 days) and the de-duplication
    // index every 5 s would make checkpoints, and so index visibility, slower as the corpus grows.
    c.put("execution.checkpointing.incremental", true);
    // Prometheus metrics, on loopback like everything else (Flink's own reporter binds 0.0.0.0).
    c.put(
        "metrics.reporter.prom.factory.class",
        "io.memescope.flink.metrics.BoundPrometheusReporterFactory");
    c.put("metrics.reporter.prom.host", h);
    c.put(
        "metrics.reporter.prom.port",
        isJobManager() ? flink.metricsPort() : flink.taskManagerMetricsPort(index));
    // memescope-core and its libraries (native code, drivers with threads) are loaded from the
    // TaskManager's classpath, once per JVM, whatever a job jar carries
    // (infra/runtimes/flink/pom.xml).
    c.put(
        "classloader.parent-first-patterns.additional",
        "io.memescope.core.;ai.djl.;com.twelvemonkeys.;com.luciad.imageio.;org.sejda.imageio.;"
            + "org.bytedeco.;com.datastax.;io.milvus.;okhttp3.;okio.;org.apache.kafka.;com.fasterxml.jackson.;"
            + "org.xerial.snappy.;com.github.luben.;net.jpountz.");
    // Flink takes a file: URI's text as it is, unescaped: Path.toUri() made a home with a space
    // or an accent (file:///my%20memes) checkpoint into a folder literally named my%20memes,
    // where no restore looked. The scheme stays (checkpoint storage requires one); the path is
    // written as it is, and every value is quoted for YAML.
    c.put(
        "execution.checkpointing.dir",
        quoted(StackLayout.flinkPath(sharedData().resolve("checkpoints"))));
    c.put(
        "execution.checkpointing.savepoint-dir",
        quoted(StackLayout.flinkPath(sharedData().resolve("savepoints"))));
    c.put("web.upload.dir", quoted(sharedData().resolve("upload").toAbsolutePath().toString()));
    c.put("io.tmp.dirs", quoted(dataDir().resolve("tmp").toAbsolutePath().toString()));
    if (isJobManager()) {
      c.put("metrics.internal.query-service.port", "\"" + flink.queryPort() + "\"");
      c.put("jobmanager.memory.process.size", flink.jobManagerMemoryMegabytes() + "m");
      c.put("jobmanager.memory.jvm-metaspace.size", METASPACE + "m");
      c.put("jobmanager.memory.off-heap.size", JM_OFF_HEAP + "m");
      c.put("jobmanager.memory.jvm-overhead.min", JM_OVERHEAD + "m");
      c.put("jobmanager.memory.jvm-overhead.max", JM_OVERHEAD + "m");
    } else {
      c.put("taskmanager.resource-id", resourceId());
      c.put("taskmanager.host", h);
      c.put("taskmanager.bind-host", h);
      c.put("taskmanager.rpc.port", "\"" + flink.taskManagerRpcPort(index) + "\"");
      c.put("taskmanager.data.port", flink.taskManagerDataPort(index));
      c.put("metrics.internal.query-service.port", "\"" + flink.taskManagerQueryPort(index) + "\"");
      c.put("taskmanager.cpu.cores", flink.taskManagerSlots());
      // Started without Flink's scripts, a TaskManager needs every memory component fixed.
      c.put("taskmanager.memory.process.size", flink.taskManagerMemoryMegabytes() + "m");
      c.put("taskmanager.memory.framework.heap.size", TM_FRAMEWORK_HEAP + "m");
      c.put("taskmanager.memory.framework.off-heap.size", TM_FRAMEWORK_OFF_HEAP + "m");
      c.put("taskmanager.memory.task.heap.size", taskHeap() + "m");
      // OpenCV's decodes, off the heap, bounded by DecodeMemory.offHeap() of the same size.
      c.put("taskmanager.memory.task.off-heap.size", flink.taskManagerNativeImageMegabytes() + "m");
      c.put("taskmanager.memory.managed.size", TM_MANAGED + "m");
      c.put("taskmanager.memory.network.min", TM_NETWORK + "m");
      c.put("taskmanager.memory.network.max", TM_NETWORK + "m");
      c.put("taskmanager.memory.jvm-metaspace.size", TM_METASPACE + "m");
      c.put("taskmanager.memory.jvm-overhead.min", TM_OVERHEAD + "m");
      c.put("taskmanager.memory.jvm-overhead.max", TM_OVERHEAD + "m");
    }
    StringBuilder out =
        new StringBuilder(
            "# Written by memescope at every start; change the memescope settings.\n");
    c.forEach((k, v) -> out.append(k).append(": ").append(v).append('\n'));
    return out.toString();
  }

  /** {@code value} as a YAML double-quoted string. */
  static String quoted(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private long taskHeap() {
    return flink.taskManagerMemoryMegabytes()
        - TM_METASPACE
        - TM_OVERHEAD
        - TM_FRAMEWORK_HEAP
        - TM_FRAMEWORK_OFF_HEAP
        - TM_NETWORK
        - TM_MANAGED
        - flink.taskManagerNativeImageMegabytes();
  }

  /** Checkpoints, savepoints and uploads live with the JobManager's data, for every process. */
  private Path sharedData() {
    return layout.dataDir("flink-jobmanager");
  }

  @Override
  protected List<String> command() {
    JavaCommand java = new JavaCommand(config.stack());
    List<String> memory = new ArrayList<>();
    if (isJobManager()) {
      long heap = flink.jobManagerMemoryMegabytes() - METASPACE - JM_OFF_HEAP - JM_OVERHEAD;
      memory.addAll(List.of("-Xmx" + heap + "m", "-Xms" + heap + "m"));
      memory.add("-XX:MaxDirectMemorySize=" + JM_OFF_HEAP + "m");
    } else {
      long heap = TM_FRAMEWORK_HEAP + taskHeap();
      memory.addAll(List.of("-Xmx" + heap + "m", "-Xms" + heap + "m"));
      // As Flink's scripts set it: framework and task off-heap, and the network buffers.
      long offHeap = TM_FRAMEWORK_OFF_HEAP + flink.taskManagerNativeImageMegabytes() + TM_NETWORK;
      memory.add("-XX:MaxDirectMemorySize=" + offHeap + "m");
      memory.add(
          "-D"
              + DecodeMemory.NATIVE_PROPERTY
              + "="
              + flink.taskManagerNativeImageMegabytes()
              + "m");
    }
    memory.add("-XX:MaxMetaspaceSize=" + (isJobManager() ? METASPACE : TM_METASPACE) + "m");
    return java.options(memory)
        .option(isJobManager() ? "-XX:+UseG1GC" : TM_GC)
        .options(JDK17_OPTIONS)
        .property("log4j.configurationFile", confDir().resolve("log4j2.xml").toUri())
        .property("log.file", logFile())
        .property("memescope.data", dataDir())
        .classpath(isolatedClasspath())
        .main(
            isJobManager()
                ? "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint"
                : "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
            "--configDir",
            confDir().toString())
        .build();
  }

  /**
   * Flink loads memescope-core from the copy in its data directory (see {@link
   * #isolatedClasspath}), and a job jar's own copy never replaces it: after a rebuild, a job
   * submitted to this process runs against the old classes (and fails on a setting the old ones do
   * not know). Says so, naming the jars that differ.
   */
  @Override
  public Optional<String> outdated(String commandLine) {
    return olderBuild(
        StagedClasspath.stale(dataDir().resolve("lib"), classpathEntries()),
        ", and jobs submitted to it run on those old classes");
  }

  /**
   * The Flink classpath, with the project's own jars (memescope-core, the metrics reporter: build
   * outputs under the repository) copied into this process's data directory first ({@link
   * StagedClasspath}).
   */
  private String isolatedClasspath() {
    Path lib = dataDir().resolve("lib");
    try {
      return StagedClasspath.stage(lib, classpathEntries());
    } catch (IOException e) {
      throw new StackException(name() + ": cannot stage its classpath in " + lib + ": " + e);
    }
  }

  private static List<Path> classpathEntries() {
    return StagedClasspath.entries(Runtimes.classpath("flink"));
  }

  @Override
  public Health probe() {
    FlinkRestClient rest = new FlinkRestClient(flink.restUrl(), Duration.ofSeconds(3));
    try {
      if (isJobManager()) {
        var overview = rest.overview();
        return Health.ok(
            overview.path("taskmanagers").asInt()
                + " TaskManager(s), "
                + overview.path("slots-available").asInt()
                + "/"
                + overview.path("slots-total").asInt()
                + " slots free, "
                + overview.path("jobs-running").asInt()
                + " job(s) running");
      }
      return rest.taskManagerIds().contains(resourceId())
          ? Health.ok("registered with the JobManager")
          : Health.down("not registered with the JobManager yet");
    } catch (FlinkRestClient.FlinkRestException e) {
      return Health.down("JobManager REST not answering");
    }
  }
}
