package io.memescope.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.infra.testing.TestStack;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Connecting to stores that are not there: nothing listens on ports 1 and 2 of this machine. */
class StoresTest {
  @Test
  void after_a_failed_connect_each_store_answers_503_at_once_for_a_while() {
    MemescopeConfig dead = TestStack.load(Map.of("milvus.port", "1", "cassandra.native-port", "2"));
    try (Stores stores = new Stores(dead)) {
      // Cassandra first: until 2026-12-06 only Milvus backed off, and each request tried to
      // connect to Cassandra again, one after another under one lock.
      assertConnectsThenBacksOff("Cassandra", () -> stores.cassandra(s -> 1));
      assertConnectsThenBacksOff("Milvus", () -> stores.milvus(c -> 1));
    }
  }

  private static void assertConnectsThenBacksOff(String store, ThrowingCallable call) {
    ApiException tried = catchThrowableOfType(ApiException.class, call);
    assertThat(tried.status()).isEqualTo(503);
    assertThat(tried.getMessage()).startsWith(store + " is unavailable");
    assertThat(tried.getCause()).as(store).isNotNull();
    assertThat(tried.getCause().getMessage()).as(store).isNotEqualTo(Stores.BACKING_OFF);
    // Right after: answered without another connect.
    ApiException refused = catchThrowableOfType(ApiException.class, call);
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.getMessage()).startsWith(store + " is unavailable");
    assertThat(refused.getCause().getMessage()).as(store).isEqualTo(Stores.BACKING_OFF);
  }
}
