package io.memescope.core.embed;

import java.text.Normalizer;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.commons.text.StringEscapeUtils;

/**
 * open_clip's text cleaning before BPE: {@code ftfy.fix_text}, HTML entities unescaped twice,
 * whitespace collapsed, trimmed, lower-cased. Of ftfy's fixers, the deterministic ones are
 * reproduced (terminal escapes, control characters and BOM, Latin ligatures, full-width forms,
 * curly quotes, line breaks, NFC); its heuristic mojibake repair ("cafÃ©" to "café") is not, and
 * such text tokenises as written.
 */
final class TextCleaner {
  private static final Pattern TERMINAL_ESCAPES =
      Pattern.compile("\u001b\\[((?:\\d|;)*)([a-zA-Z])");
  private static final Pattern SINGLE_QUOTES = Pattern.compile("[\u02bc\u2018-\u201b]");
  private static final Pattern DOUBLE_QUOTES = Pattern.compile("[\u201c-\u201f]");
  private static final Pattern LINE_BREAKS = Pattern.compile("\r\n|[\r\u2028\u2029\u0085]");
  // Python's string.punctuation.
  private static final Pattern PUNCTUATION =
      Pattern.compile("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]");
  private static final Pattern WHITESPACE =
      Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Map<Character, String> LIGATURES =
      Map.ofEntries(
          Map.entry('\u0132', "IJ"),
          Map.entry('\u0133', "ij"),
          Map.entry('\u0149', "\u02bcn"),
          Map.entry('\u01f1', "DZ"),
          Map.entry('\u01f2', "Dz"),
          Map.entry('\u01f3', "dz"),
          Map.entry('\u01c4', "D\u017d"),
          Map.entry('\u01c5', "D\u017e"),
          Map.entry('\u01c6', "d\u017e"),
          Map.entry('\u01c7', "LJ"),
          Map.entry('\u01c8', "Lj"),
          Map.entry('\u01c9', "lj"),
          Map.entry('\u01ca', "NJ"),
          Map.entry('\u01cb', "Nj"),
          Map.entry('\u01cc', "nj"),
          Map.entry('\ufb00', "ff"),
          Map.entry('\ufb01', "fi"),
          Map.entry('\ufb02', "fl"),
          Map.entry('\ufb03', "ffi"),
          Map.entry('\ufb04', "ffl"),
          Map.entry('\ufb05', "\u017ft"),
          Map.entry('\ufb06', "st"));

  private TextCleaner() {}

  /**
   * open_clip's text cleaning by name: {@code lower}, {@code canonicalize} or {@code whitespace}.
   */
  static String clean(String text, String mode) {
    String basic =
        StringEscapeUtils.unescapeHtml4(StringEscapeUtils.unescapeHtml4(fixText(text))).strip();
    return switch (mode) {
      case "canonicalize" -> canonicalize(basic);
      case "whitespace" -> collapse(basic);
      default -> collapse(basic).toLowerCase(java.util.Locale.ROOT);
    };
  }

  private static String collapse(String text) {
    return WHITESPACE.matcher(text).replaceAll(" ").strip();
  }

  /** open_clip's {@code canonicalize_text}: no underscores or ASCII punctuation, lower case. */
  static String canonicalize(String text) {
    String s = PUNCTUATION.matcher(text.replace('_', ' ')).replaceAll("");
    return collapse(s.toLowerCase(java.util.Locale.ROOT));
  }

  /** The deterministic part of {@code ftfy.fix_text}, in ftfy's order. */
  static String fixText(String text) {
    String s = TERMINAL_ESCAPES.matcher(text).replaceAll("");
    s = fixLigaturesAndWidth(s);
    s = SINGLE_QUOTES.matcher(s).replaceAll("'");
    s = DOUBLE_QUOTES.matcher(s).replaceAll("\"");
    s = LINE_BREAKS.matcher(s).replaceAll("\n");
    s = removeControlChars(s);
    return Normalizer.normalize(s, Normalizer.Form.NFC);
  }

  private static String fixLigaturesAndWidth(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String ligature = LIGATURES.get(c);
      if (ligature != null) {
        out.append(ligature);
      } else if (c == '\u3000') {
        out.append(' ');
      } else if (c >= '\uff01' && c <= '\uffef') {
        out.append(Normalizer.normalize(String.valueOf(c), Normalizer.Form.NFKC));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String removeControlChars(String s) {
    StringBuilder out = new StringBuilder(s.length());
    s.codePoints().filter(cp -> !isControl(cp)).forEach(out::appendCodePoint);
    return out.toString();
  }

  private static boolean isControl(int cp) {
    return (cp >= 0x00 && cp <= 0x08)
        || cp == 0x0b
        || (cp >= 0x0e && cp <= 0x1f)
        || cp == 0x7f
        || (cp >= 0x206a && cp <= 0x206f)
        || cp == 0xfeff
        || (cp >= 0xfff9 && cp <= 0xfffc);
  }
}
