package io.memescope.core.fetch;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Tells what a body is from its first bytes. Servers label content carelessly (an HTML "image
 * removed" page as {@code image/jpeg}, a PNG as {@code application/octet-stream}), so the fetcher
 * trusts the magic bytes and treats the declared Content-Type as information only. Markup gets its
 * own test so that a reject can say which of the two common impostors it was: an HTML or XML page
 * ({@link RejectReason#NOT_AN_IMAGE}) or an SVG, an image we refuse ({@link
 * RejectReason#UNSUPPORTED_FORMAT}).
 *
 * <p>Every method looks at most at the first {@link #HEAD_BYTES} bytes and accepts shorter arrays.
 */
public final class ImageSniffer {
  /** How many leading bytes the tests need at most; more are ignored. */
  public static final int HEAD_BYTES = 4096;

  /** Sizes of the BMP info headers (core, OS/2, Windows v1 to v5) that follow the file header. */
  private static final Set<Integer> BMP_INFO_SIZES = Set.of(12, 16, 40, 52, 56, 64, 108, 124);

  private static final Set<String> AVIF_BRANDS = Set.of("avif", "avis");
  private static final Set<String> HEIF_BRANDS =
      Set.of("heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1");

  private ImageSniffer() {}

  /**
   * The format Memescope decodes that {@code head} starts with: {@code jpeg}, {@code png}, {@code
   * gif}, {@code webp} or {@code bmp}.
   */
  public static Optional<String> format(byte[] head) {
    if (startsWith(head, 0, 0xFF, 0xD8, 0xFF)) {
      return Optional.of("jpeg");
    }
    if (startsWith(head, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
      return Optional.of("png");
    }
    if (startsWith(head, 0, 'G', 'I', 'F', '8', '7', 'a')
        || startsWith(head, 0, 'G', 'I', 'F', '8', '9', 'a')) {
      return Optional.of("gif");
    }
    if (startsWith(head, 0, 'R', 'I', 'F', 'F') && startsWith(head, 8, 'W', 'E', 'B', 'P')) {
      return Optional.of("webp");
    }
    // "BM" alone is too weak (a text file may start so): the info header's size must be a real one.
    if (startsWith(head, 0, 'B', 'M') && head.length >= 18) {
      int infoSize =
          (head[14] & 0xff)
              | (head[15] & 0xff) << 8
              | (head[16] & 0xff) << 16
              | (head[17] & 0xff) << 24;
      if (BMP_INFO_SIZES.contains(infoSize)) {
        return Optional.of("bmp");
      }
    }
    return Optional.empty();
  }

  /**
   * The image format Memescope refuses that {@code head} starts with: {@code svg}, {@code tiff},
   * {@code avif}, {@code heif}, {@code jxl}, {@code jp2} or {@code psd}.
   */
  public static Optional<String> unsupportedFormat(byte[] head) {
    if (looksLikeSvg(head)) {
      return Optional.of("svg");
    }
    if (startsWith(head, 0, 'I', 'I', 0x2A, 0x00) || startsWith(head, 0, 'M', 'M', 0x00, 0x2A)) {
      return Optional.of("tiff");
    }
    if (startsWith(head, 4, 'f', 't', 'y', 'p') && head.length >= 12) {
      String brand = new String(head, 8, 4, StandardCharsets.ISO_8859_1);
      if (AVIF_BRANDS.contains(brand)) {
        return Optional.of("avif");
      }
      if (HEIF_BRANDS.contains(brand)) {
        return Optional.of("heif");
      }
      return Optional.empty(); // other ISO media files are videos (mp4, mov): not images
    }
    if (startsWith(head, 0, 0xFF, 0x0A)
        || startsWith(head, 0, 0, 0, 0, 0x0C, 'J', 'X', 'L', ' ', 0x0D, 0x0A, 0x87, 0x0A)) {
      return Optional.of("jxl");
    }
    if (startsWith(head, 0, 0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A)) {
      return Optional.of("jp2");
    }
    if (startsWith(head, 0, '8', 'B', 'P', 'S')) {
      return Optional.of("psd");
    }
    return Optional.empty();
  }

  /**
   * Whether {@code head} is markup: after an optional byte-order mark and white space, a {@code <}
   * followed by a letter, {@code !} or {@code ?} ({@code <?xml}, {@code <svg}, {@code <!DOCTYPE
   * html}, {@code <html}, {@code <!-- ...}). True for SVG too; {@link #looksLikeSvg} tells them
   * apart.
   */
  public static boolean looksLikeMarkupOrSvg(byte[] head) {
    String text = text(head);
    int i = skipSpace(text, 0);
    if (i + 1 >= text.length() || text.charAt(i) != '<') {
      return false;
    }
    char next = text.charAt(i + 1);
    return next == '!' || next == '?' || Character.isLetter(next);
  }

  /**
   * Whether {@code head} is an SVG document: markup whose root element is {@code svg} (with or
   * without a namespace prefix) or whose DOCTYPE names svg, after any XML declaration, processing
   * instructions and comments. When those fill the whole head, any {@code <svg} in it decides.
   */
  public static boolean looksLikeSvg(byte[] head) {
    if (!looksLikeMarkupOrSvg(head)) {
      return false;
    }
    String text = text(head);
    String lower = text.toLowerCase(Locale.ROOT);
    int i = skipSpace(text, 0);
    while (i < text.length()) {
      if (lower.startsWith("<?", i)) {
        i = after(lower, "?>", i);
      } else if (lower.startsWith("<!--", i)) {
        i = after(lower, "-->", i);
      } else if (lower.startsWith("<!doctype", i)) {
        int name = skipSpace(lower, i + "<!doctype".length());
        if (lower.startsWith("svg", name)) {
          return true;
        }
        i = afterDoctype(lower, i);
      } else if (lower.startsWith("<", i)) {
        int end = i + 1;
        while (end < lower.length() && isNameChar(lower.charAt(end))) {
          end++;
        }
        String name = lower.substring(i + 1, end);
        return name.equals("svg") || name.endsWith(":svg");
      } else {
        return false; // text before the root element: not a well-formed document of either kind
      }
      if (i < 0) {
        return lower.contains("<svg"); // the head ended inside the prolog
      }
      i = skipSpace(text, i);
    }
    return false;
  }

  /** The head as text, honouring a UTF-8 or UTF-16 byte-order mark; Latin-1 otherwise. */
  private static String text(byte[] head) {
    int length = Math.min(head.length, HEAD_BYTES);
    Charset charset = StandardCharsets.ISO_8859_1; // every byte a char: enough to find ASCII markup
    int skip = 0;
    if (startsWith(head, 0, 0xEF, 0xBB, 0xBF)) {
      charset = StandardCharsets.UTF_8;
      skip = 3;
    } else if (startsWith(head, 0, 0xFE, 0xFF)) {
      charset = StandardCharsets.UTF_16BE;
      skip = 2;
    } else if (startsWith(head, 0, 0xFF, 0xFE)) {
      charset = StandardCharsets.UTF_16LE;
      skip = 2;
    }
    return new String(head, skip, Math.max(length - skip, 0), charset);
  }

  private static int skipSpace(String text, int i) {
    while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    return i;
  }

  /** The index after the first {@code end} at or after {@code from}, or -1. */
  private static int after(String text, String end, int from) {
    int at = text.indexOf(end, from);
    return at < 0 ? -1 : at + end.length();
  }

  /** The index after a DOCTYPE starting at {@code from}, internal subset included, or -1. */
  private static int afterDoctype(String text, int from) {
    int depth = 0;
    for (int i = from; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '[') {
        depth++;
      } else if (c == ']') {
        depth--;
      } else if (c == '>' && depth <= 0) {
        return i + 1;
      }
    }
    return -1;
  }

  private static boolean isNameChar(char c) {
    return Character.isLetterOrDigit(c) || c == ':' || c == '-' || c == '_' || c == '.';
  }

  private static boolean startsWith(byte[] bytes, int offset, int... prefix) {
    if (bytes.length < offset + prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((bytes[offset + i] & 0xff) != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
