package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stack's start-up rules, with a service of its own (a sleeping process), no servers. */
class LocalStackTest {
  @TempDir Path home;

  /** Prepares slowly (a first run's install), then is ready one second after its launch. */
  static final class SlowToPrepare extends Service {
    private final String name;
    private final int port;
    private final long prepareMillis;
    private volatile long launched;

    SlowToPrepare(MemescopeConfig config, StackLayout layout, int port) {
      this(config, layout, "slow", port, 4_000);
    }

    SlowToPrepare(
        MemescopeConfig config, StackLayout layout, String name, int port, long prepareMillis) {
      super(config, layout);
      this.name = name;
      this.port = port;
      this.prepareMillis = prepareMillis;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String host() {
      return "127.0.0.1";
    }

    @Override
    public Map<String, Integer> ports() {
      return Map.of("test.port", port);
    }

    @Override
    public String endpoint() {
      return "127.0.0.1:" + port;
    }

    @Override
    protected void prepare(ProgressListener progress) {
      try {
        Thread.sleep(prepareMillis); // 4 s: longer than the whole start timeout below
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    protected List<String> command() {
      launched = System.nanoTime();
      return List.of("python3", "-c", "import time; time.sleep(60)", dataDir().toString());
    }

    @Override
    public Health probe() {
      return launched != 0 && System.nanoTime() - launched > 1_000_000_000L
          ? Health.ok("up")
          : Health.down("starting");
    }
  }

  @Test
  void the_start_timeout_counts_from_the_launch_not_from_a_slow_preparation() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    MemescopeConfig config =
        new ConfigLoader()
            .optOverride("home", home.toString())
            .optOverride("stack.start-timeout", "3s")
            .load();
    int free = port;
    LocalStack stack =
        new LocalStack(
            config,
            layout -> List.of(new SlowToPrepare(config, layout, free)),
            layout -> List.of());
    try {
      // 4 s of preparing and 1 s to get ready: more than 3 s in all, but ready 1 s after launch.
      List<LocalStack.Started> started = stack.up(List.of(), ProgressListener.SILENT);
      assertThat(started).singleElement().satisfies(s -> assertThat(s.reused()).isFalse());
      assertThat(stack.down(List.of(), ProgressListener.SILENT)).containsExactly("slow");
    } finally {
      stack.down(List.of(), ProgressListener.SILENT);
    }
  }

  @Test
  void a_log_past_64_mib_is_set_aside_when_its_service_starts() throws IOException {
    // Logs were appended to for good (Flink logs every checkpoint) until 2026-12-07.
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    MemescopeConfig config = new ConfigLoader().optOverride("home", home.toString()).load();
    int free = port;
    Service[] made = new Service[1];
    LocalStack stack =
        new LocalStack(
            config,
            layout -> List.of(made[0] = new SlowToPrepare(config, layout, free)),
            layout -> List.of());
    Path log = made[0].logFile();
    java.nio.file.Files.createDirectories(log.getParent());
    try (var file = new java.io.RandomAccessFile(log.toFile(), "rw")) {
      file.setLength(LocalStack.ROTATE_BYTES + 1); // sparse: takes no room
    }
    try {
      stack.up(List.of(), ProgressListener.SILENT);
      assertThat(log.resolveSibling(log.getFileName() + ".1")).hasSize(LocalStack.ROTATE_BYTES + 1);
      assertThat(java.nio.file.Files.size(log)).isLessThan(1 << 20);
    } finally {
      stack.down(List.of(), ProgressListener.SILENT);
    }
  }

  @Test
  void a_process_that_only_names_the_data_directory_is_not_the_service() throws Exception {
    MemescopeConfig config = new ConfigLoader().optOverride("home", home.toString()).load();
    int port = freePort();
    LocalStack stack =
        new LocalStack(
            config,
            layout -> List.of(new SlowToPrepare(config, layout, "svc", port, 0)),
            layout -> List.of());
    Path dataDir = new StackLayout(home).dataDir("svc");
    java.nio.file.Files.createDirectories(dataDir);
    // What a user might run beside the stack: a tail -f of a log in the service's directory.
    Process bystander =
        new ProcessBuilder(
                "python3",
                "-c",
                "import time; time.sleep(60)",
                dataDir.resolve("svc.log").toString())
            .directory(home.toFile())
            .start();
    try {
      List<LocalStack.Started> started = stack.up(List.of(), ProgressListener.SILENT);
      assertThat(started)
          .as("up starts the service; the bystander is not it")
          .singleElement()
          .satisfies(s -> assertThat(s.reused()).isFalse());
      assertThat(stack.down(List.of(), ProgressListener.SILENT)).containsExactly("svc");
      assertThat(bystander.isAlive()).as("down leaves the bystander running").isTrue();
      assertThat(stack.down(List.of(), ProgressListener.SILENT))
          .as("and does not count it as the service")
          .isEmpty();
    } finally {
      bystander.destroyForcibly();
      stack.down(List.of(), ProgressListener.SILENT);
    }
  }

  @Test
  void an_unmarked_process_in_the_data_directory_is_one_an_older_version_started()
      throws Exception {
    MemescopeConfig config = new ConfigLoader().optOverride("home", home.toString()).load();
    Service service = new SlowToPrepare(config, new StackLayout(home), "old", freePort(), 0);
    java.nio.file.Files.createDirectories(service.dataDir());
    ProcessBuilder builder =
        new ProcessBuilder(
                "python3", "-c", "import time; time.sleep(60)", service.dataDir().toString())
            .directory(service.dataDir().toFile());
    builder.environment().remove(Supervisor.MARK);
    Process legacy = builder.start();
    builder.environment().put(Supervisor.MARK, home.resolve("elsewhere").toString());
    Process otherStack = builder.start();
    try {
      assertThat(Supervisor.isProcessOf(legacy.toHandle(), service)).isTrue();
      assertThat(Supervisor.isProcessOf(otherStack.toHandle(), service))
          .as("marked for another directory")
          .isFalse();
    } finally {
      legacy.destroyForcibly();
      otherStack.destroyForcibly();
    }
  }

  @Test
  void down_stops_what_the_settings_no_longer_enable() throws IOException {
    MemescopeConfig config = new ConfigLoader().optOverride("home", home.toString()).load();
    int keptPort = freePort();
    int droppedPort = freePort();
    java.util.function.Function<StackLayout, List<Service>> both =
        layout ->
            List.of(
                new SlowToPrepare(config, layout, "kept", keptPort, 0),
                new SlowToPrepare(config, layout, "dropped", droppedPort, 0));
    new LocalStack(config, both, layout -> List.of()).up(List.of(), ProgressListener.SILENT);
    // The settings change: "dropped" is off (rater.enabled = false, fewer TaskManagers).
    LocalStack now =
        new LocalStack(
            config,
            layout -> List.of(new SlowToPrepare(config, layout, "kept", keptPort, 0)),
            both);
    assertThat(now.services()).extracting(Service::name).containsExactly("kept");
    assertThat(now.down(List.of(), ProgressListener.SILENT))
        .containsExactlyInAnyOrder("kept", "dropped");
    assertThat(now.down(List.of(), ProgressListener.SILENT)).as("nothing left").isEmpty();
  }

  @Test
  void the_stoppable_services_include_disabled_apps_and_taskmanagers_left_from_a_larger_stack()
      throws IOException {
    MemescopeConfig config =
        new ConfigLoader()
            .optOverride("home", home.toString())
            .optOverride("rater.enabled", "false")
            .optOverride("crawler.enabled", "false")
            .optOverride("flink.taskmanager.count", "1")
            .load();
    StackLayout layout = new StackLayout(config.home());
    java.nio.file.Files.createDirectories(layout.dataDir("flink-taskmanager-1"));
    java.nio.file.Files.createDirectories(layout.dataDir("flink-taskmanager-2"));
    assertThat(Services.all(config, layout))
        .extracting(Service::name)
        .doesNotContain("rater", "crawler", "flink-taskmanager-1");
    assertThat(Services.stoppable(config, layout))
        .extracting(Service::name)
        .contains(
            "rater",
            "crawler",
            "serving",
            "flink-taskmanager-0",
            "flink-taskmanager-1",
            "flink-taskmanager-2")
        .doesNotContain("flink-taskmanager-3");
  }

  @Test
  void a_command_holding_the_stack_keeps_others_out_until_it_is_done() throws IOException {
    MemescopeConfig config = new ConfigLoader().optOverride("home", home.toString()).load();
    int port = freePort();
    java.util.function.Function<StackLayout, List<Service>> one =
        layout -> List.of(new SlowToPrepare(config, layout, "one", port, 0));
    LocalStack up = new LocalStack(config, one, one);
    LocalStack other = new LocalStack(config, one, one);
    try (LocalStack.Hold held = up.hold()) {
      // Between the steps of one `up` (infrastructure, schema, applications, ingest job) ...
      up.up(List.of(), ProgressListener.SILENT);
      // ... another command is refused, not run in between.
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> other.down(List.of(), ProgressListener.SILENT))
          .isInstanceOf(StackException.class)
          .hasMessageContaining("another memescope command is starting or stopping the stack");
      assertThat(up.status()).singleElement().satisfies(s -> assertThat(s.healthy()).isTrue());
    }
    assertThat(other.down(List.of(), ProgressListener.SILENT)).containsExactly("one");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
