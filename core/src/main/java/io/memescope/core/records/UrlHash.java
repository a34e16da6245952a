package io.memescope.core.records;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The stable key of a URL: the first 128 bits of the SHA-256 of its normalised form, as hex. */
public final class UrlHash {
  private UrlHash() {}

  public static String of(String normalisedUrl) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(normalisedUrl.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
