package io.memescope.infra.stack;

import com.typesafe.config.ConfigRenderOptions;
import io.memescope.core.config.MemescopeConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * An application module's JVM in the stack (crawler, serving): it reads the stack's settings from a
 * file written at every start, and is ready when an HTTP endpoint of its own answers 200.
 */
abstract class ApplicationProcess extends Service {
  ApplicationProcess(MemescopeConfig config, StackLayout layout) {
    super(config, layout);
  }

  @Override
  public boolean application() {
    return true;
  }

  protected Path settingsFile() {
    return confDir().resolve("memescope.conf");
  }

  @Override
  protected void prepare(ProgressListener progress) throws IOException {
    Files.writeString(
        settingsFile(),
        "# The stack's effective settings, written at every start.\n"
            + Runtimes.settingsForProcesses(config)
                .root()
                .render(ConfigRenderOptions.concise().setFormatted(true)));
  }

  /** The URL that answers 200 once the process is ready. */
  protected abstract String readyUrl();

  /** What {@link #probe()} says of a ready process. */
  protected abstract String readyDetail();

  @Override
  public Health probe() {
    try {
      HttpResponse<Void> response =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(2))
              .build()
              .send(
                  HttpRequest.newBuilder(URI.create(readyUrl()))
                      .timeout(Duration.ofSeconds(3))
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200
          ? Health.ok(readyDetail())
          : Health.down(readyUrl() + " answered " + response.statusCode());
    } catch (IOException e) {
      return Health.down(readyUrl() + " not answering");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Health.down("interrupted");
    }
  }
}
