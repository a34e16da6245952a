package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.ModelSettings;
import io.memescope.infra.cli.Memescope;
import io.memescope.infra.testing.TestStack;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the stack behaves as a whole: reuse, status, and each kind of failure during `up`. */
class LocalStackIT {
  @TempDir Path home;

  @Test
  void up_again_reuses_every_healthy_service() {
    MemescopeConfig config = TestStack.config();

    List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<LocalStack.Started> again =
        new LocalStack(config).up(List.of(), (service, message) -> said.add(message));

    assertThat(again).hasSize(5).allSatisfy(s -> assertThat(s.reused()).isTrue());
    assertThat(said)
        .as("this build's stack runs this build's jars")
        .noneMatch(m -> m.contains("older build"));
    assertThat(said).noneMatch(m -> m.contains("other settings"));

    // The same stack asked for with a setting its running Kafka was not started with: reused
    // (nothing restarts behind the user's back), and said so, with what to do.
    said.clear();
    List<LocalStack.Started> changed =
        new LocalStack(TestStack.load(Map.of("kafka.heap", "640m")))
            .up(List.of("kafka"), (service, message) -> said.add(service + ": " + message));
    assertThat(changed).singleElement().satisfies(s -> assertThat(s.reused()).isTrue());
    assertThat(said)
        .anySatisfy(
            m ->
                assertThat(m)
                    .startsWith("kafka: was started with other settings (kafka.heap ")
                    .contains(", now 640m)")
                    .endsWith("./memescope down kafka && ./memescope up"));
  }

  @Test
  void the_taskmanager_gets_libtorchs_threads_from_the_model_settings() throws IOException {
    MemescopeConfig config = TestStack.config();
    long pid =
        Long.parseLong(
            Files.readString(new StackLayout(config.home()).pidFile("flink-taskmanager-0"))
                .strip());
    String environ =
        new String(
            Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")),
            StandardCharsets.UTF_8);
    // The stack's own setting, unless the environment it was started from chose already.
    String inherited = System.getenv(ModelSettings.TORCH_THREADS_ENV);
    String expected =
        inherited != null ? inherited : Integer.toString(config.model().torchThreads());
    assertThat(config.model().torchThreads()).isEqualTo(1);
    assertThat(List.of(environ.split("\0")))
        .contains(ModelSettings.TORCH_THREADS_ENV + "=" + expected);
  }

  @Test
  void status_json_reports_every_service_healthy_with_exit_code_zero() throws IOException {
    TestStack.config();
    Path root = Runtimes.root();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      exit =
          Memescope.run(
              "--home", root.resolve(".memescope-test").toString(),
              "--config", root.resolve("infra/src/test/resources/test-stack.conf").toString(),
              "status", "--json");
    } finally {
      System.setOut(original);
    }

    JsonNode status = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    assertThat(exit).isZero();
    assertThat(status.path("healthy").asBoolean()).isTrue();
    assertThat(status.path("services"))
        .extracting(s -> s.path("name").asText())
        .containsExactly("kafka", "cassandra", "milvus", "flink-jobmanager", "flink-taskmanager-0");
    assertThat(status.path("services"))
        .allSatisfy(s -> assertThat(s.path("state").asText()).isEqualTo("healthy"));
  }

  @Test
  void a_taken_port_is_named_and_nothing_is_started() throws IOException {
    try (ServerSocket squatter = new ServerSocket()) {
      squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = squatter.getLocalPort();
      LocalStack stack = isolated(Map.of("kafka.port", Integer.toString(port)));

      assertThatThrownBy(() -> stack.up(List.of("kafka"), ProgressListener.SILENT))
          .isInstanceOf(StackException.class)
          .hasMessage(
              "kafka: port "
                  + port
                  + " on 127.0.0.1 (kafka.port) is already in use by another process; stop that"
                  + " process or set kafka.port to a free port");
      assertThat(stack.status(stack.service("kafka")).state()).isEqualTo("stopped");
      assertThat(stack.service("kafka").logFile()).doesNotExist();
    }
  }

  @Test
  void a_port_held_by_another_stack_names_that_stacks_home() throws Exception {
    // Another stack's Kafka on the port: a process marked with its data folder, as the Supervisor
    // starts them. Advising another port would start a second, empty stack beside it.
    int port = freePorts(1)[0];
    Path otherHome = Files.createTempDirectory("other stack").toAbsolutePath().normalize();
    ProcessBuilder pb =
        new ProcessBuilder(
            "python3",
            "-c",
            "import socket, time\n"
                + "s = socket.socket()\n"
                + "s.bind(('127.0.0.1', "
                + port
                + "))\n"
                + "s.listen()\n"
                + "print('ready', flush=True)\n"
                + "time.sleep(120)\n");
    pb.environment().put(Supervisor.MARK, otherHome.resolve("data/kafka").toString());
    pb.redirectErrorStream(true);
    Process listener = pb.start();
    try {
      assertThat(
              new java.io.BufferedReader(
                      new java.io.InputStreamReader(
                          listener.getInputStream(), StandardCharsets.UTF_8))
                  .readLine())
          .isEqualTo("ready");
      LocalStack stack = isolated(Map.of("kafka.port", Integer.toString(port)));
      assertThatThrownBy(() -> stack.up(List.of("kafka"), ProgressListener.SILENT))
          .isInstanceOf(StackException.class)
          .hasMessageContaining(
              "(kafka.port) is already in use by the Memescope stack in " + otherHome + " (")
          .hasMessageContaining("--home " + otherHome);
      assertThat(stack.status(stack.service("kafka")).state()).isEqualTo("stopped");
    } finally {
      listener.destroyForcibly().waitFor();
      Files.deleteIfExists(otherHome);
    }
  }

  @Test
  void a_corrupt_data_directory_gives_a_one_line_diagnosis_naming_the_log() throws IOException {
    int[] ports = freePorts(2);
    int kafkaPort = ports[0];
    LocalStack stack =
        isolated(
            Map.of(
                "kafka.port",
                Integer.toString(kafkaPort),
                "kafka.controller-port",
                Integer.toString(ports[1])));
    Path meta = stack.service("kafka").dataDir().resolve("kraft-logs/meta.properties");
    Files.createDirectories(meta.getParent());
    Files.writeString(meta, "\u0000\u0001 not a properties file, node.id=banana\n");

    try {
      assertThatThrownBy(() -> stack.up(List.of("kafka"), ProgressListener.SILENT))
          .isInstanceOf(StackException.class)
          .hasMessageStartingWith("kafka exited during start-up: ")
          .hasMessageEndingWith("see " + StackLayout.show(stack.service("kafka").logFile()))
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    } finally {
      stack.down(List.of(), ProgressListener.SILENT);
    }
    assertThat(Supervisor.isFree("127.0.0.1", kafkaPort)).isTrue();
  }

  @Test
  void a_missing_python_fails_milvus_clearly_and_down_stops_what_did_start() {
    int[] ports = freePorts(3);
    int kafkaPort = ports[0];
    int controllerPort = ports[1];
    LocalStack stack =
        isolated(
            Map.of(
                "kafka.port", Integer.toString(kafkaPort),
                "kafka.controller-port", Integer.toString(controllerPort),
                "milvus.port", Integer.toString(ports[2]),
                "milvus.python", "/nonexistent/python3",
                "milvus.venv", home.resolve("venv").toString()));

    assertThatThrownBy(() -> stack.up(List.of("kafka", "milvus"), ProgressListener.SILENT))
        .isInstanceOf(StackException.class)
        .hasMessage(
            "milvus: Python interpreter '/nonexistent/python3' (milvus.python) was not found;"
                + " install Python 3.11+ with pip and venv, or set milvus.python to its path");
    assertThat(stack.status(stack.service("kafka")).healthy()).isTrue();

    assertThat(stack.down(List.of(), ProgressListener.SILENT)).containsExactly("kafka");

    assertThat(new Supervisor().allProcesses(stack.service("kafka"))).isEmpty();
    assertThat(Supervisor.isFree("127.0.0.1", kafkaPort)).isTrue();
    assertThat(Supervisor.isFree("127.0.0.1", controllerPort)).isTrue();
  }

  @Test
  void a_non_loopback_host_is_refused() {
    LocalStack stack = isolated(Map.of("kafka.host", "8.8.8.8"));
    assertThatThrownBy(() -> stack.up(List.of("kafka"), ProgressListener.SILENT))
        .hasMessageContaining("binds loopback addresses only");
  }

  /**
   * {@code n} distinct ports nothing listens on or connects from now. Fixed numbers (39092, 39530,
   * ...) lie in the kernel's ephemeral range, where a long-lived client connection of the test
   * stack could hold one (a CI run failed that way: "port 39530 ... is already in use").
   */
  private static int[] freePorts(int n) {
    List<ServerSocket> held = new java.util.ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket();
        held.add(s);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ports[i] = s.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing a socket that only bound
        }
      }
    }
  }

  private LocalStack isolated(Map<String, String> overrides) {
    Map<String, String> all = new java.util.HashMap<>(overrides);
    all.put("home", home.toString());
    all.put("stack.start-timeout", "90s");
    return new LocalStack(TestStack.load(all));
  }
}
