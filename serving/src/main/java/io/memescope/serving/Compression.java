package io.memescope.serving;

import io.javalin.compression.CompressionStrategy;
import io.javalin.compression.Gzip;
import io.javalin.config.JavalinConfig;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.List;
import java.util.regex.Pattern;
import org.eclipse.jetty.ee10.servlet.FilterHolder;

/**
 * Response compression: gzip at level 1 for clients that accept it, except clients on the loopback
 * interface unless {@code serving.gzip-loopback} says so.
 *
 * <p>Why level 1: a page of 30 results (13 kB of JSON) goes to 1.6 kB instead of level 6's 1.4 kB,
 * in less than half the time. Why not on loopback: gzip trades CPU for bytes on the wire, and a
 * loopback connection (a reverse proxy on the same host, a local client) has no wire. On the
 * project's 2-core benchmark machine compressing and inflating a page took about 0.18 ms of a 2.8
 * ms search through the API, and saved nothing (docs/benchmarks.md, "Serving"); at 13 kB per page
 * it pays for itself only on links slower than about 500 Mbit/s, and next to the thumbnails a page
 * of the search wall loads (JPEGs, several hundred kB) the 11 kB it saves is small. The server
 * listens on loopback only by default ({@code serving.host}), and then every client is local: those
 * that reach the API through a tunnel ending on loopback (ssh -L), or through a sidecar proxy that
 * does not compress, want {@code serving.gzip-loopback}.
 */
final class Compression {
  private Compression() {}

  /** Configures Javalin's compression as the class comment says. */
  static void configure(JavalinConfig c, boolean gzipLoopback) {
    c.http.compressionStrategy = new CompressionStrategy(null, new Gzip(1));
    if (!gzipLoopback) {
      c.jetty.modifyServletContextHandler(
          handler ->
              handler.addFilter(
                  new FilterHolder(new LoopbackIdentity()),
                  "/*",
                  EnumSet.of(DispatcherType.REQUEST)));
    }
  }

  /**
   * Whether {@code address}, a literal IP address as the servlet API gives it (IPv6 possibly in
   * brackets, with a scope), is loopback. Anything that is not a literal is not: no name is ever
   * looked up.
   */
  static boolean isLoopback(String address) {
    if (address == null || address.isEmpty()) {
      return false;
    }
    String a =
        address.startsWith("[") && address.endsWith("]")
            ? address.substring(1, address.length() - 1)
            : address;
    if (!LITERAL.matcher(a).matches()) {
      return false;
    }
    try {
      return InetAddress.getByName(a).isLoopbackAddress(); // a literal: parsed, not resolved
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** An IPv4 or IPv6 literal, IPv6 with an optional scope ({@code %eth0}). */
  private static final Pattern LITERAL =
      Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[\\w.-]+)?");

  /** Hides {@code Accept-Encoding} from what follows when the client is on loopback. */
  static final class LoopbackIdentity implements Filter {
    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
        throws IOException, ServletException {
      if (request instanceof HttpServletRequest http
          && http.getHeader("Accept-Encoding") != null
          && isLoopback(http.getRemoteAddr())) {
        chain.doFilter(new WithoutAcceptEncoding(http), response);
      } else {
        chain.doFilter(request, response);
      }
    }
  }

  private static final class WithoutAcceptEncoding extends HttpServletRequestWrapper {
    WithoutAcceptEncoding(HttpServletRequest request) {
      super(request);
    }

    private static boolean hidden(String name) {
      return "Accept-Encoding".equalsIgnoreCase(name);
    }

    @Override
    public String getHeader(String name) {
      return hidden(name) ? null : super.getHeader(name);
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
      return hidden(name) ? Collections.emptyEnumeration() : super.getHeaders(name);
    }

    @Override
    public Enumeration<String> getHeaderNames() {
      List<String> names = Collections.list(super.getHeaderNames());
      names.removeIf(WithoutAcceptEncoding::hidden);
      return Collections.enumeration(names);
    }
  }
}
