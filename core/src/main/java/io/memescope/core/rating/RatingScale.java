package io.memescope.core.rating;

import java.util.List;

/**
 * The five-point pairwise scale. A rating of one dimension is an integer from -2 to 2, about the
 * pair as it was shown: negative means the left image is better, positive the right one.
 */
public final class RatingScale {
  public static final int MIN = -2;
  public static final int MAX = 2;

  /** One point of the scale. */
  public record Point(int value, String label) {}

  public static final List<Point> POINTS =
      List.of(
          new Point(-2, "left much better"),
          new Point(-1, "left better"),
          new Point(0, "tie"),
          new Point(1, "right better"),
          new Point(2, "right much better"));

  private RatingScale() {}

  public static boolean valid(int value) {
    return value >= MIN && value <= MAX;
  }

  /**
   * The soft target of a Bradley-Terry model, P(left beats right): much better 0.9, better 0.7, tie
   * 0.5, and symmetrically.
   */
  public static double leftWins(int value) {
    return switch (value) {
      case -2 -> 0.9;
      case -1 -> 0.7;
      case 0 -> 0.5;
      case 1 -> 0.3;
      case 2 -> 0.1;
      default -> throw new IllegalArgumentException("not on the scale: " + value);
    };
  }
}
