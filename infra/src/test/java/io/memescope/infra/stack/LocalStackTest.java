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
    private final int port;
    private volatile long launched;

    SlowToPrepare(MemescopeConfig config, StackLayout layout, int port) {
      super(config, layout);
      this.port = port;
    }

    @Override
    public String name() {
      return "slow";
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
        Thread.sleep(3_000); // longer than the whole start timeout below
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
            .optOverride("stack.start-timeout", "2s")
            .load();
    int free = port;
    LocalStack stack =
        new LocalStack(config, layout -> List.of(new SlowToPrepare(config, layout, free)));
    try {
      // 3 s of preparing and 1 s to get ready: more than 2 s in all, but ready 1 s after launch.
      List<LocalStack.Started> started = stack.up(List.of(), ProgressListener.SILENT);
      assertThat(started).singleElement().satisfies(s -> assertThat(s.reused()).isFalse());
      assertThat(stack.down(List.of(), ProgressListener.SILENT)).containsExactly("slow");
    } finally {
      stack.down(List.of(), ProgressListener.SILENT);
    }
  }
}
