package io.memescope.core.fetch;

/**
 * A fetch step's decision that there is no image, carried out of nested reading code to the one
 * place that completes the future. No stack trace: it is an expected outcome, not a bug.
 */
final class Refusal extends Exception {
  private final RejectReason reason;

  Refusal(RejectReason reason, String detail) {
    super(detail, null, false, false);
    this.reason = reason;
  }

  RejectReason reason() {
    return reason;
  }

  String detail() {
    return getMessage();
  }
}
