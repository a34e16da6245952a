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
 * <p>Path and query are percent-encoded one way (RFC 3986, section 6.2.2): characters outside ASCII
 * as the escapes of their UTF-8 bytes, as browsers and HTTP clients send them; escapes in upper
 * case; and an escaped unreserved character ({@code A-Z a-z 0-9 - . _ ~}) as itself. So {@code
 * café.jpg}, {@code caf%C3%A9.jpg} and {@code caf%c3%a9.jpg} are one URL, published and fetched
 * once.
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
   * The raw path or query with every character outside ASCII escaped (its UTF-8 bytes), every
   * escape in upper case, and escaped unreserved characters unescaped. An escape is a {@code %} and
   * two hex digits; java.net.URI and OkHttp have already escaped any other {@code %}.
   */
  static String encoded(String raw) {
    StringBuilder out = null;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      boolean escape =
          c == '%' && i + 2 < raw.length() && hex(raw.charAt(i + 1)) && hex(raw.charAt(i + 2));
      if (!escape && c < 0x80) {
        if (out != null) {
          out.append(c);
        }
        continue;
      }
      if (out == null) {
        out = new StringBuilder(raw.length() + 16).append(raw, 0, i);
      }
      if (escape) {
        int value =
            Character.digit(raw.charAt(i + 1), 16) << 4 | Character.digit(raw.charAt(i + 2), 16);
        if (unreserved(value)) {
          out.append((char) value);
        } else {
          appendEscape(out, value);
        }
        i += 2;
      } else {
        int codePoint = raw.codePointAt(i);
        i += Character.charCount(codePoint) - 1;
        for (byte b : new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8)) {
          appendEscape(out, b & 0xff);
        }
      }
    }
    return out == null ? raw : out.toString();
  }

  private static boolean hex(char c) {
    return Character.digit(c, 16) >= 0 && c < 0x80;
  }

  private static boolean unreserved(int c) {
    return (c >= 'A' && c <= 'Z')
        || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '.'
        || c == '_'
        || c == '~';
  }

  private static void appendEscape(StringBuilder out, int value) {
    out.append('%').append(HEX[value >> 4]).append(HEX[value & 0x0f]);
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
}
