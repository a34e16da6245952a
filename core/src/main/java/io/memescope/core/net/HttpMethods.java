package io.memescope.core.net;

import java.util.Set;

/**
 * A request's method as a metrics label. The HTTP server takes any token as a method, and Javalin
 * names an unknown one as it was sent, so a label of the name itself let any client add series to
 * the web apps' metrics without limit ({@code curl -X FOO1}, {@code -X FOO2}, ...), each a counter
 * and a histogram kept for the life of the process (until 2026-12-08).
 */
public final class HttpMethods {
  private HttpMethods() {}

  /** The methods of RFC 9110 and PATCH: each its own label. */
  static final Set<String> KNOWN =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  /** {@code method} when it is a {@link #KNOWN} one, else {@code OTHER}. */
  public static String label(String method) {
    return method != null && KNOWN.contains(method) ? method : "OTHER";
  }
}
