package io.memescope.core.records;

import java.net.IDN;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One spelling per resource, so that URL-level de-duplication works: scheme and host lower-cased
 * (IDN hosts in ASCII), default ports and fragments dropped, an empty path made "/", dot segments
 * resolved, and tracking parameters ({@code utm_*}, {@code fbclid}, {@code gclid}) removed. The
 * order of the remaining query parameters is kept: some image hosts sign their URLs.
 *
 * <p>In the path and query of an http(s) URL, characters outside ASCII are escaped as their UTF-8
 * bytes, as browsers and HTTP clients send them: {@code café.jpg} and {@code caf%C3%A9.jpg} are one
 * URL, published and fetched once. Existing escapes are kept as they are, in their case, and so are
 * escaped unreserved characters ({@code %7E}): RFC 3986 calls those spellings equivalent, but a
 * host that signs its URLs (imgproxy, thumbor) checks the bytes it is sent, so they go out as the
 * page wrote them.
 */
public final class UrlNormalizer {
  private static final Set<String> TRACKING = Set.of("fbclid", "gclid", "igshid", "mc_eid");

  private UrlNormalizer() {}

  /**
   * The normalised form of a URL found on the web (a feed, a listing, a page, a dump of them): a
   * {@code file:} URL there names a file on the machine that fetches it, which only the user's own
   * sources (directories, URL lists) may do, so it is refused like an unsupported scheme.
   */
  public static String normaliseRemote(String url) {
    String normalised = normalise(url);
    if (normalised.startsWith("file:")) {
      throw new IllegalArgumentException("a file: URL from a web source: " + url);
    }
    return normalised;
  }

  /** The normalised form; an {@link IllegalArgumentException} says why a URL is unusable. */
  public static String normalise(String url) {
    URI uri;
    try {
      uri = new URI(url.strip()).normalize();
    } catch (URISyntaxException e) {
      // A raw space, |, ^ or { in the path or query: browsers and HTTP clients encode them and
      // fetch the URL, and so does the ingest job (OkHttp); java.net.URI refuses them.
      return lenient(url, "not a URL: " + e.getMessage());
    }
    if (uri.getHost() == null
        && uri.getScheme() != null
        && Set.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))) {
      // A host with an underscore (img_cdn.example.com): java.net.URI sees no host in it.
      return lenient(url, "URL without a host: " + url);
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
    String path =
        uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : encoded(uri.getRawPath());
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

  /**
   * An http(s) URL that java.net.URI refuses but OkHttp parses (it percent-encodes what needs it,
   * resolves dot segments, lower-cases and IDN-encodes the host), normalised by the same rules.
   */
  private static String lenient(String url, String refusal) {
    okhttp3.HttpUrl parsed = okhttp3.HttpUrl.parse(url.strip());
    if (parsed == null) {
      throw new IllegalArgumentException(refusal);
    }
    StringBuilder out = new StringBuilder(parsed.scheme()).append("://");
    out.append(parsed.host().contains(":") ? "[" + parsed.host() + "]" : parsed.host());
    if (parsed.port() != okhttp3.HttpUrl.defaultPort(parsed.scheme())) {
      out.append(':').append(parsed.port());
    }
    // Path and query as java.net.URI takes them (HttpUrl.uri() encodes the rest, such as {}), so
    // that what comes out parses anywhere downstream.
    URI encoded = parsed.uri();
    out.append(encoded.getRawPath() == null ? "/" : encoded(encoded.getRawPath()));
    String query = cleanQuery(encoded.getRawQuery());
    if (!query.isEmpty()) {
      out.append('?').append(query);
    }
    return out.toString();
  }

  private static String cleanQuery(String raw) {
    if (raw == null || raw.isEmpty()) {
      return "";
    }
    raw = encoded(raw);
    List<String> kept = new ArrayList<>();
    for (String part : raw.split("&")) {
      String name = part.split("=", 2)[0].toLowerCase(Locale.ROOT);
      if (!part.isEmpty() && !name.startsWith("utm_") && !TRACKING.contains(name)) {
        kept.add(part);
      }
    }
    return String.join("&", kept);
  }

  /**
   * The raw path or query with every character outside ASCII escaped as its UTF-8 bytes; anything
   * else, escapes included, as it is.
   */
  static String encoded(String raw) {
    StringBuilder out = null;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c < 0x80) {
        if (out != null) {
          out.append(c);
        }
        continue;
      }
      if (out == null) {
        out = new StringBuilder(raw.length() + 16).append(raw, 0, i);
      }
      int codePoint = raw.codePointAt(i);
      i += Character.charCount(codePoint) - 1;
      for (byte b : new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8)) {
        int value = b & 0xff;
        out.append('%').append(HEX[value >> 4]).append(HEX[value & 0x0f]);
      }
    }
    return out == null ? raw : out.toString();
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
}
