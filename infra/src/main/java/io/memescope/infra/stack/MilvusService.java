package io.memescope.infra.stack;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.MilvusSettings;
import io.memescope.core.schema.Clients;
import io.milvus.v2.client.MilvusClientV2;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Milvus Lite's gRPC server (PyPI {@code milvus-lite}), run from a virtual environment that the
 * stack creates and keeps in step with the pinned requirements. It speaks the Milvus protocol that
 * the Java SDK uses; production runs Milvus standalone or distributed instead.
 */
final class MilvusService extends Service {
  static final String REQUIREMENTS = "milvus-requirements.txt";

  /**
   * Requests are served one at a time. Milvus Lite 3.2.2's write path is not thread-safe under its
   * default pool of 10: two upserts that are a new WAL file's first writes open it twice, and the
   * file is left unreadable (the data stays in memory until a crash, then is gone), and two first
   * requests after a restart can open a collection twice, the writes to one of them lost at once.
   * The ingest job's two committers do exactly that. One worker serialises them (MilvusCrashIT;
   * docs/ARCHITECTURE.md).
   */
  static final int GRPC_WORKERS = 1;

  private static final String STAMP = ".memescope-requirements.sha256";
  private final MilvusSettings milvus;

  MilvusService(MemescopeConfig config, StackLayout layout) {
    super(config, layout);
    this.milvus = config.milvus();
  }

  @Override
  public String name() {
    return "milvus";
  }

  @Override
  protected List<String> startSettings() {
    return List.of("milvus.host", "milvus.port", "milvus.python", "milvus.venv");
  }

  @Override
  public String host() {
    return milvus.host();
  }

  @Override
  public Map<String, Integer> ports() {
    return Map.of("milvus.port", milvus.port());
  }

  @Override
  public String endpoint() {
    return milvus.uri();
  }

  Path venv() {
    return milvus.venv().map(Path::toAbsolutePath).orElse(layout.home().resolve("venv"));
  }

  private Path venvPython() {
    return venv().resolve("bin/python");
  }

  @Override
  protected void prepare(ProgressListener progress) throws IOException {
    String requirements = requirements();
    String wanted = sha256(requirements);
    Path stamp = venv().resolve(STAMP);
    boolean own = milvus.venv().isEmpty();
    // The stack's own environment is made again when the interpreter it was made with is not
    // milvus.python's any more (the setting changed, or the system's python3 was upgraded): its
    // packages are for the old version, and until 2026-12-07 pip ran on in it and failed, or
    // Milvus failed at start, until the folder was deleted by hand.
    String version = own ? pythonVersion() : null;
    boolean sameInterpreter = !own || version.equals(madeWith());
    if (Files.isExecutable(venvPython())
        && sameInterpreter
        && Files.isRegularFile(stamp)
        && Files.readString(stamp).strip().equals(wanted)) {
      return;
    }
    progress.step(
        name(),
        "installing Milvus Lite into "
            + StackLayout.show(venv())
            + " (once; pip output in "
            + StackLayout.show(logFile())
            + ")");
    // Without pip the environment is half made: Debian's python3 without python3-venv creates
    // bin/python, then fails at ensurepip. Kept, every later start failed with "No module named
    // pip" even after the package was installed; --clear makes it again. Only the stack's own
    // environment: one of the user's (milvus.venv, perhaps made by uv, without pip) is theirs.
    if (!Files.isExecutable(venvPython())
        || (own && (!sameInterpreter || !Venvs.pipRuns(venvPython())))) {
      if (version == null) {
        pythonVersion(); // checked before it makes the user's environment
      }
      run(
          List.of(milvus.python(), "-m", "venv", "--clear", venv().toString()),
          "create the virtual environment",
          300);
    }
    Path file = confDir().resolve(REQUIREMENTS);
    Files.writeString(file, requirements);
    run(
        List.of(
            venvPython().toString(),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
            "-r",
            file.toString()),
        "install Milvus Lite with pip",
        900);
    Files.writeString(stamp, wanted);
  }

  /**
   * The major and minor version in the own environment's {@code pyvenv.cfg}, of the interpreter it
   * was made with; null if it cannot be read. A patch release keeps the packages' ABI, so only
   * these two make it again (an upgrade from 3.11.7 to 3.11.9 would otherwise reinstall, and
   * offline fail).
   */
  private String madeWith() {
    try {
      for (String line : Files.readAllLines(venv().resolve("pyvenv.cfg"))) {
        String[] kv = line.split("=", 2);
        if (kv.length == 2 && kv[0].strip().equals("version")) {
          String[] parts = kv[1].strip().split("\\.");
          return parts.length >= 2 ? parts[0] + "." + parts[1] : null;
        }
      }
    } catch (IOException e) {
      // none yet
    }
    return null;
  }

  /**
   * The configured interpreter's major and minor version, checked: a clear error if it is missing,
   * too old for the pinned packages (numpy 2.4 and pandas 3 need 3.11), or cannot make virtual
   * environments.
   */
  private String pythonVersion() {
    String python = milvus.python();
    try {
      Process check =
          new ProcessBuilder(
                  python,
                  "-c",
                  "import sys, venv, ensurepip, platform; assert sys.version_info >= (3, 11),"
                      + " 'Python ' + platform.python_version();"
                      + " print('%d.%d' % sys.version_info[:2])")
              .redirectErrorStream(true)
              .start();
      String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (check.waitFor() != 0) {
        throw new StackException(
            "milvus: "
                + python
                + " (milvus.python) cannot create virtual environments or is older than 3.11: "
                + lastLine(out)
                + "; install Python 3.11+ with its venv module (Debian: python3-venv)");
      }
      return lastLine(out).strip();
    } catch (IOException e) {
      throw new StackException(
          "milvus: Python interpreter '"
              + python
              + "' (milvus.python) was not found; install Python 3.11+ with pip and venv, or set"
              + " milvus.python to its path");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("milvus: interrupted");
    }
  }

  private void run(List<String> command, String what, int timeoutSeconds) throws IOException {
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
            .start();
    try {
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new StackException(
            "milvus: could not "
                + what
                + " within "
                + timeoutSeconds
                + "s; see "
                + StackLayout.show(logFile()));
      }
      if (process.exitValue() != 0) {
        throw new StackException(
            "milvus: could not "
                + what
                + ": "
                + LogDiagnosis.lastError(logFile())
                + "; see "
                + StackLayout.show(logFile()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("milvus: interrupted");
    }
  }

  /**
   * A Milvus Lite started before the stack served it with {@link #GRPC_WORKERS} worker keeps the
   * default pool, and with it the races that lose acknowledged writes.
   */
  @Override
  public Optional<String> outdated(String commandLine) {
    if (commandLine.contains("--max-workers " + GRPC_WORKERS)) {
      return Optional.empty();
    }
    return Optional.of(
        "was started without --max-workers "
            + GRPC_WORKERS
            + ", so concurrent writes can corrupt its write-ahead log and a crash then loses"
            + " them; restart it: ./memescope down milvus && ./memescope up");
  }

  @Override
  protected List<String> command() {
    List<String> command = new ArrayList<>();
    command.add(venvPython().toString());
    command.addAll(
        List.of(
            "-m",
            "milvus_lite",
            "server",
            "--data-dir",
            dataDir().toString(),
            "--host",
            milvus.host(),
            "--port",
            Integer.toString(milvus.port()),
            "--max-workers",
            Integer.toString(GRPC_WORKERS)));
    return command;
  }

  @Override
  protected Map<String, String> environment() {
    return Map.of("PYTHONUNBUFFERED", "1");
  }

  /** Milvus Lite closes its data directory cleanly on SIGINT; SIGTERM would leave its lock. */
  @Override
  protected String stopSignal() {
    return "INT";
  }

  @Override
  public Health probe() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(milvus.host(), milvus.port()), 1000);
    } catch (IOException e) {
      return Health.down("port " + milvus.port() + " closed");
    }
    MilvusClientV2 client = null;
    try {
      client = Clients.milvus(milvus, Duration.ofSeconds(3), Duration.ofSeconds(3));
      int collections = client.listCollections().getCollectionNames().size();
      return Health.ok(collections + " collection(s)");
    } catch (RuntimeException e) {
      return Health.down("not answering: " + e.getMessage());
    } finally {
      if (client != null) {
        client.close();
      }
    }
  }

  static String requirements() {
    try (InputStream in = MilvusService.class.getResourceAsStream(REQUIREMENTS)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new StackException("milvus: " + REQUIREMENTS + " is missing from the build");
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String lastLine(String out) {
    String[] lines = out.strip().split("\n");
    return lines.length == 0 ? "" : lines[lines.length - 1];
  }
}
