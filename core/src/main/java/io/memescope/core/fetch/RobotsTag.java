package io.memescope.core.fetch;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code X-Robots-Tag} headers as search engines do: each header is a comma-separated list of
 * directives for every crawler, or, after a {@code <crawler>:} prefix, for that crawler only.
 * Directives that carry a value of their own ({@code unavailable_after: <date>}, {@code
 * max-image-preview: large}) are not taken for a crawler's name.
 */
final class RobotsTag {
  private static final Pattern CRAWLER = Pattern.compile("[a-z0-9_.-]+");
  private static final Set<String> VALUED =
      Set.of("unavailable_after", "max-snippet", "max-image-preview", "max-video-preview");

  private RobotsTag() {}

  /**
   * The first directive of {@code refused} that {@code headers} (the values of every {@code
   * X-Robots-Tag} header of one answer) address to all crawlers or to {@code crawler} (lower case),
   * if any.
   */
  static Optional<String> refused(List<String> headers, String crawler, Set<String> refused) {
    if (refused.isEmpty()) {
      return Optional.empty();
    }
    for (String header : headers) {
      String value = header.strip().toLowerCase(Locale.ROOT);
      int colon = value.indexOf(':');
      if (colon > 0) {
        String prefix = value.substring(0, colon).strip();
        if (CRAWLER.matcher(prefix).matches() && !VALUED.contains(prefix)) {
          if (!prefix.equals(crawler)) {
            continue; // for another crawler
          }
          value = value.substring(colon + 1);
        }
      }
      for (String directive : value.split(",")) {
        String d = directive.strip();
        if (refused.contains(d)) {
          return Optional.of(d);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The crawler's name in a User-Agent: its first product token, lower case ({@code memescope}).
   */
  static String crawler(String userAgent) {
    String product = userAgent.strip().split("[/\\s]", 2)[0];
    return product.toLowerCase(Locale.ROOT);
  }
}
