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

  /**
   * The largest first buffer a declared size buys: a server that declares 32 MB and then sends a
   * byte every few seconds held 32 MB per connection (64 in flight per fetch subtask: 2 GiB).
   * Beyond it the buffer grows as the bytes arrive, to the declared size when it is near.
   */
  static final int TRUSTED_HINT = 1024 * 1024;

  /** Looks at the first bytes of a body and refuses to read further. */
  interface HeadCheck {
    void check(byte[] head) throws Refusal;
  }

  private CappedRead() {}

  /**
   * All of {@code in}, at most {@code maxBytes} of it.
   *
   * @param sizeHint the size the source declares, or -1; only sizes buffers (the first at most
   *     {@link #TRUSTED_HINT})
   * @param what names the source in the {@link RejectReason#TOO_LARGE} detail
   * @throws Refusal {@link RejectReason#TOO_LARGE}, or what {@code check} decides
   */
  static byte[] read(InputStream in, long maxBytes, long sizeHint, HeadCheck check, String what)
      throws IOException, Refusal {
    int cap = (int) Math.min(maxBytes, FetchSettings.MAX_BYTES_LIMIT);
    int initial =
        sizeHint >= 0
            ? (int) Math.min(Math.min(sizeHint, cap), TRUSTED_HINT)
            : Math.min(INITIAL_BUFFER, cap);
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
        long next = Math.min(Math.max(2L * buf.length, 8192), cap);
        if (sizeHint > buf.length && sizeHint < next) {
          next = sizeHint; // an honest declared size: the buffer ends exactly full, no last copy
        }
        buf = Arrays.copyOf(buf, (int) next);
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
