package io.memescope.core.rating;

/**
 * A pair of images regardless of which side each was shown on: the two ids in ascending order,
 * joined by ':'.
 */
public final class PairKey {
  private PairKey() {}

  public static String of(String a, String b) {
    if (a.equals(b)) {
      throw new IllegalArgumentException("a pair needs two different images: " + a);
    }
    return a.compareTo(b) < 0 ? a + ":" + b : b + ":" + a;
  }

  /** The two ids of a key made by {@link #of}, in key order; null for anything else. */
  public static String[] ids(String key) {
    int colon = key.indexOf(':');
    return colon < 0 ? null : new String[] {key.substring(0, colon), key.substring(colon + 1)};
  }

  /** Whether {@code left} is the first id of the key, i.e. shown as stored. */
  public static boolean inKeyOrder(String left, String right) {
    return left.compareTo(right) < 0;
  }
}
