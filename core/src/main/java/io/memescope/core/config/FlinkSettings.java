package io.memescope.core.config;

/** The Flink session cluster jobs are submitted to, and its local processes. */
public record FlinkSettings(
    String host,
    int restPort,
    int rpcPort,
    int blobPort,
    int queryPort,
    int metricsPort,
    long jobManagerMemoryMegabytes,
    int taskManagerCount,
    int taskManagerSlots,
    long taskManagerMemoryMegabytes,
    long taskManagerNativeImageMegabytes,
    int taskManagerPortBase) {

  public String restUrl() {
    return "http://" + host + ":" + restPort;
  }

  /**
   * Where TaskManager {@code index} serves its Prometheus metrics (the JobManager: metricsPort).
   */
  public int taskManagerMetricsPort(int index) {
    return metricsPort + 1 + index;
  }

  public int taskManagerRpcPort(int index) {
    return taskManagerPortBase + 3 * index;
  }

  public int taskManagerDataPort(int index) {
    return taskManagerPortBase + 3 * index + 1;
  }

  public int taskManagerQueryPort(int index) {
    return taskManagerPortBase + 3 * index + 2;
  }

  static FlinkSettings read(SettingsReader r) {
    FlinkSettings s =
        new FlinkSettings(
            r.host("flink.host"),
            r.port("flink.rest-port"),
            r.port("flink.rpc-port"),
            r.port("flink.blob-port"),
            r.port("flink.query-port"),
            r.port("flink.metrics-port"),
            r.megabytesAtLeast("flink.jobmanager.process-memory", 512),
            r.intInRange("flink.taskmanager.count", 1, 16),
            r.intInRange("flink.taskmanager.slots", 1, 64),
            r.megabytesAtLeast("flink.taskmanager.process-memory", 1024),
            r.megabytesAtLeast("flink.taskmanager.native-image-memory", 64),
            r.port("flink.taskmanager.port-base"));
    if (s.taskManagerMemoryMegabytes - s.taskManagerNativeImageMegabytes < 1024) {
      r.problem(
          "flink.taskmanager.process-memory",
          "is "
              + s.taskManagerMemoryMegabytes
              + "m, must be at least 1024m more than flink.taskmanager.native-image-memory ("
              + s.taskManagerNativeImageMegabytes
              + "m)");
    }
    if (s.taskManagerQueryPort(s.taskManagerCount - 1) > 65535) {
      r.problem("flink.taskmanager.port-base", "leaves no room for every TaskManager's ports");
    }
    return s;
  }
}
