package io.memescope.core.records;

import java.net.IDN;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One spelling per resource, so that URL-level de-duplication works: scheme and host lower-cased
 * (IDN hosts in ASCII), default ports and fragments dropped, an empty path made "/", dot segments
 * resolved, and tracking parameters ({@code utm_*}, {@code fbclid}, {@code gclid}) removed. The
 * order of the remaining query parameters is kept: some image hosts sign their URLs.
 */
public final class UrlNormalizer {
  private static final Set<String> TRACKING = Set.of("fbclid", "gclid", "igshid", "mc_eid");

  private UrlNormalizer() {}

  /** The normalised form; an {@link IllegalArgumentException} says why a URL is unusable. */
  public static String normalise(String url) {
    URI uri;
    try {
      uri = new URI(url.strip()).normalize();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL: " + e.getMessage());
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme == null || !Set.of("http", "https", "file").contains(scheme)) {
      throw new IllegalArgumentException("unsupported URL scheme in " + url);
    }
    if ("file".equals(scheme)) {
      return "file://" + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("URL without a host: " + url);
    }
    String host = IDN.toASCII(uri.getHost()).toLowerCase(Locale.ROOT);
    int port = uri.getPort();
    boolean defaultPort =
        port == -1
            || ("http".equals(scheme) && port == 80)
            || ("https".equals(scheme) && port == 443);
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    StringBuilder out = new StringBuilder(scheme).append("://").append(host);
    if (!defaultPort) {
      out.append(':').append(port);
    }
    out.append(path);
    String query = cleanQuery(uri.getRawQuery());
    if (!query.isEmpty()) {
      out.append('?').append(query);
    }
    return out.toString();
  }

  private static String cleanQuery(String raw) {
    if (raw == null || raw.isEmpty()) {
      return "";
    }
    List<String> kept = new ArrayList<>();
    for (String part : raw.split("&")) {
      String name = part.split("=", 2)[0].toLowerCase(Locale.ROOT);
      if (!part.isEmpty() && !name.startsWith("utm_") && !TRACKING.contains(name)) {
        kept.add(part);
      }
    }
    return String.join("&", kept);
  }
}
