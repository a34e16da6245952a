package io.memescope.core.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CappedReadTest {
  private static final CappedRead.HeadCheck ANY = head -> {};

  /** An endless-looking stream of {@code size} bytes that never exists in memory at once. */
  static final class Generated extends InputStream {
    final long size;
    long served;

    Generated(long size) {
      this.size = size;
    }

    @Override
    public int read() {
      if (served >= size) {
        return -1;
      }
      served++;
      return 0x42;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (served >= size) {
        return -1;
      }
      int n = (int) Math.min(Math.min(len, 16 * 1024), size - served);
      Arrays.fill(b, off, off + n, (byte) 0x42);
      served += n;
      return n;
    }
  }

  private static long allocatedByThisThread() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  @Test
  void a_declared_size_buys_at_most_a_megabyte_before_the_bytes_arrive() throws Exception {
    // Declares 32 MB, sends 10 bytes: what it cost is about the megabyte, not the 32.
    long before = allocatedByThisThread();
    byte[] got = CappedRead.read(new Generated(10), 64L << 20, 32L << 20, ANY, "x");
    long allocated = allocatedByThisThread() - before;
    assertThat(got).hasSize(10);
    assertThat(allocated).isLessThan(2L << 20);
    // An honest 3 MB body with its size declared still comes back whole.
    assertThat(CappedRead.read(new Generated(3_000_000), 64L << 20, 3_000_000, ANY, "x"))
        .hasSize(3_000_000);
  }

  @Test
  void reads_a_body_under_the_cap_whole() throws Exception {
    byte[] body = new byte[200_000];
    Arrays.fill(body, (byte) 7);
    assertThat(CappedRead.read(new ByteArrayInputStream(body), 1_000_000, -1, ANY, "x"))
        .isEqualTo(body);
    assertThat(CappedRead.read(new ByteArrayInputStream(body), 1_000_000, body.length, ANY, "x"))
        .isEqualTo(body);
  }

  @Test
  void a_body_of_exactly_the_cap_is_accepted() throws Exception {
    assertThat(CappedRead.read(new Generated(100_000), 100_000, -1, ANY, "x")).hasSize(100_000);
    assertThat(CappedRead.read(new Generated(100_000), 100_000, 100_000, ANY, "x"))
        .hasSize(100_000);
  }

  @Test
  void fifty_megabytes_under_a_one_megabyte_cap_stop_early_and_stay_small() {
    Generated huge = new Generated(50L * 1024 * 1024);
    Refusal refusal = null;
    long before = allocatedByThisThread();
    try {
      CappedRead.read(huge, 1024 * 1024, -1, ANY, "GET x");
    } catch (Refusal | java.io.IOException e) {
      refusal = e instanceof Refusal r ? r : null;
    }
    long allocated = allocatedByThisThread() - before;

    assertThat(refusal).isNotNull().hasMessage("GET x sent more than 1048576 bytes");
    assertThat(refusal.reason()).isEqualTo(RejectReason.TOO_LARGE);
    assertThat(huge.served).isLessThanOrEqualTo(1024 * 1024 + 16 * 1024);
    // The doubling buffers add up to about twice the cap; 50 MB would be far above.
    assertThat(allocated).isLessThan(4L * 1024 * 1024);
  }

  @Test
  void the_head_is_shown_once_with_up_to_head_bytes() throws Exception {
    List<Integer> seen = new ArrayList<>();
    CappedRead.read(new Generated(100_000), 1_000_000, -1, head -> seen.add(head.length), "x");
    CappedRead.read(new Generated(10), 1_000_000, -1, head -> seen.add(head.length), "x");
    CappedRead.read(new Generated(0), 1_000_000, -1, head -> seen.add(head.length), "x");
    assertThat(seen).containsExactly(ImageSniffer.HEAD_BYTES, 10);
  }

  @Test
  void a_refusing_head_check_stops_the_read() {
    Generated body = new Generated(10_000_000);
    assertThatThrownBy(
            () ->
                CappedRead.read(
                    body,
                    20_000_000,
                    -1,
                    head -> {
                      throw new Refusal(RejectReason.NOT_AN_IMAGE, "no");
                    },
                    "x"))
        .isInstanceOf(Refusal.class);
    assertThat(body.served).isLessThan(100_000);
  }
}
