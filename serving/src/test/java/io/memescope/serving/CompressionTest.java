package io.memescope.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@link Compression} on a real Jetty server: gzip for clients that ask for it, not for clients on
 * loopback unless configured, never for clients that do not ask.
 */
class CompressionTest {
  private static final byte[] PAGE = page();
  private final HttpClient http = HttpClient.newHttpClient(); // never inflates: shows the wire

  private static byte[] page() {
    StringBuilder sb = new StringBuilder("{\"results\":[");
    for (int i = 0; i < 300; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"id\":\"image-").append(i).append("\",\"score\":0.5}");
    }
    return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static Javalin server(String host, boolean gzipLoopback) {
    Javalin app =
        Javalin.create(
            c -> {
              c.startup.showJavalinBanner = false;
              Compression.configure(c, gzipLoopback);
              c.routes.get("/page", ctx -> ctx.contentType("application/json").result(PAGE));
            });
    return app.start(host, 0);
  }

  private HttpResponse<byte[]> get(String url, String acceptEncoding) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url));
    if (acceptEncoding != null) {
      r.header("Accept-Encoding", acceptEncoding);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static byte[] body(HttpResponse<byte[]> r) throws IOException {
    if (r.headers().firstValue("Content-Encoding").orElse("").equals("gzip")) {
      try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(r.body()))) {
        return in.readAllBytes();
      }
    }
    return r.body();
  }

  @Test
  void loopbackClientsGetThePageUncompressedByDefault() throws Exception {
    Javalin app = server("127.0.0.1", false);
    try {
      String url = "http://127.0.0.1:" + app.port() + "/page";
      HttpResponse<byte[]> r = get(url, "gzip, deflate");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Encoding")).isEmpty();
      assertThat(r.body()).isEqualTo(PAGE);
      assertThat(get(url, null).body()).isEqualTo(PAGE);
    } finally {
      app.stop();
    }
  }

  @Test
  void loopbackClientsGetGzipWhenConfigured() throws Exception {
    Javalin app = server("127.0.0.1", true);
    try {
      String url = "http://127.0.0.1:" + app.port() + "/page";
      HttpResponse<byte[]> r = get(url, "gzip");
      assertThat(r.headers().firstValue("Content-Encoding")).contains("gzip");
      assertThat(r.body().length).isLessThan(PAGE.length / 4);
      assertThat(body(r)).isEqualTo(PAGE);
      HttpResponse<byte[]> plain = get(url, null);
      assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
      assertThat(plain.body()).isEqualTo(PAGE);
    } finally {
      app.stop();
    }
  }

  /** Needs an address of this machine other than loopback; skipped (and says so) without one. */
  @Test
  void remoteClientsGetGzip() throws Exception {
    Optional<InetAddress> own = ownAddress();
    Assumptions.assumeTrue(own.isPresent(), "this machine has no non-loopback IPv4 address");
    Javalin app = server("0.0.0.0", false);
    try {
      String url = "http://" + own.get().getHostAddress() + ":" + app.port() + "/page";
      HttpResponse<byte[]> r = get(url, "gzip");
      assertThat(r.headers().firstValue("Content-Encoding")).contains("gzip");
      assertThat(body(r)).isEqualTo(PAGE);
      assertThat(get(url, "identity").headers().firstValue("Content-Encoding")).isEmpty();
    } finally {
      app.stop();
    }
  }

  @Test
  void tellsLoopbackAddresses() {
    assertThat(Compression.isLoopback("127.0.0.1")).isTrue();
    assertThat(Compression.isLoopback("127.1.2.3")).isTrue();
    assertThat(Compression.isLoopback("0:0:0:0:0:0:0:1")).isTrue();
    assertThat(Compression.isLoopback("[::1]")).isTrue();
    assertThat(Compression.isLoopback("::ffff:127.0.0.1")).isTrue();
    assertThat(Compression.isLoopback("10.0.0.1")).isFalse();
    assertThat(Compression.isLoopback("192.168.127.1")).isFalse();
    assertThat(Compression.isLoopback("::ffff:10.1.2.3")).isFalse();
    assertThat(Compression.isLoopback("[0:0:0:0:0:0:0:1]")).isTrue();
    assertThat(Compression.isLoopback("::1%1")).isTrue();
    assertThat(Compression.isLoopback("fe80::1%1")).isFalse();
    assertThat(Compression.isLoopback("localhost")).isFalse(); // not a literal: never looked up
    assertThat(Compression.isLoopback("")).isFalse();
    assertThat(Compression.isLoopback("fe80:0:0:0:0:0:0:1")).isFalse();
    assertThat(Compression.isLoopback(null)).isFalse();
  }

  private static Optional<InetAddress> ownAddress() throws IOException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nic.isUp() && !nic.isLoopback()) {
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
          if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
            return Optional.of(a);
          }
        }
      }
    }
    return Optional.empty();
  }
}
