package io.memescope.core.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads a body of unknown honesty into one array, never holding more than the cap: the buffer grows
 * by doubling up to {@code maxBytes} and one byte more is then only probed for, so a 50 MB answer
 * to a 16 MB cap costs at most 16 MB (and is abandoned as soon as the 16 MB and first byte are in).
 * Once {@link ImageSniffer#HEAD_BYTES} bytes are in (or the whole body, if shorter), the head is
 * shown to a {@link HeadCheck}, so that a video or web page served under an image URL is given up
 * after a few kilobytes rather than at the cap.
 */
final class CappedRead {
  /** The first buffer when the size is not known in advance. */
  static final int INITIAL_BUFFER = 64 * 1024;

  /** Looks at the first bytes of a body and refuses to read further. */
  interface HeadCheck {
    void check(byte[] head) throws Refusal;
  }

  private CappedRead() {}

  /**
   * All of {@code in}, at most {@code maxBytes} of it.
   *
   * @param sizeHint the size the source declares, or -1; only sizes the first buffer
   * @param what names the source in the {@link RejectReason#TOO_LARGE} detail
   * @throws Refusal {@link RejectReason#TOO_LARGE}, or what {@code check} decides
   */
  static byte[] read(InputStream in, long maxBytes, long sizeHint, HeadCheck check, String what)
      throws IOException, Refusal {
    int cap = (int) Math.min(maxBytes, FetchSettings.MAX_BYTES_LIMIT);
    int initial = sizeHint >= 0 ? (int) Math.min(sizeHint, cap) : Math.min(INITIAL_BUFFER, cap);
    byte[] buf = new byte[Math.max(initial, 1)];
    int count = 0;
    boolean checked = false;
    while (true) {
      if (count == buf.length) {
        int probe = in.read();
        if (probe < 0) {
          break;
        }
        if (count >= cap) {
          throw new Refusal(RejectReason.TOO_LARGE, what + " sent more than " + cap + " bytes");
        }
        buf = Arrays.copyOf(buf, (int) Math.min(Math.max(2L * buf.length, 8192), cap));
        buf[count++] = (byte) probe;
      }
      int n = in.read(buf, count, buf.length - count);
      if (n < 0) {
        break;
      }
      count += n;
      if (!checked && count >= ImageSniffer.HEAD_BYTES) {
        check.check(Arrays.copyOf(buf, ImageSniffer.HEAD_BYTES));
        checked = true;
      }
    }
    if (!checked && count > 0) {
      check.check(Arrays.copyOf(buf, count));
    }
    return count == buf.length ? buf : Arrays.copyOf(buf, count);
  }
}
