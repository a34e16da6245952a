package io.memescope.infra.stack;

/** What a readiness probe saw. */
public record Health(boolean healthy, String detail) {
  public static Health ok(String detail) {
    return new Health(true, detail);
  }

  public static Health down(String detail) {
    return new Health(false, detail);
  }
}
