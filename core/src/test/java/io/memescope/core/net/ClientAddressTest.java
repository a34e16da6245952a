package io.memescope.core.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClientAddressTest {
  @Test
  void an_ipv6_client_is_limited_by_its_64_network() {
    // Any address of a /64 is the same client: a host is given the whole network.
    assertThat(ClientAddress.limitKey("2001:db8:1:2::7")).isEqualTo("2001:db8:1:2::/64");
    assertThat(ClientAddress.limitKey("2001:db8:1:2:ffff:eeee:dddd:cccc"))
        .isEqualTo("2001:db8:1:2::/64");
    assertThat(ClientAddress.limitKey("[2001:0db8:0001:0002:0:0:0:1]"))
        .isEqualTo("2001:db8:1:2::/64");
    assertThat(ClientAddress.limitKey("2001:db8:1:3::7")).isEqualTo("2001:db8:1:3::/64");
    assertThat(ClientAddress.limitKey("::1")).isEqualTo("0:0:0:0::/64");
  }

  @Test
  void ipv4_clients_and_names_are_limited_one_by_one() {
    assertThat(ClientAddress.limitKey("203.0.113.7")).isEqualTo("203.0.113.7");
    // An IPv4 address inside an IPv6 one is that IPv4 client, not the /64 ::ffff:0:0 shares.
    assertThat(ClientAddress.limitKey("::ffff:203.0.113.7")).isEqualTo("203.0.113.7");
    assertThat(ClientAddress.limitKey("not-an-address")).isEqualTo("not-an-address");
    assertThat(ClientAddress.limitKey(null)).isNull();
  }

  @Test
  void only_what_trusted_proxies_wrote_in_x_forwarded_for_is_believed() {
    Set<String> proxies = Set.of("10.0.0.1", "10.0.0.2");
    // Not from a proxy: the header is the client's own word.
    assertThat(ClientAddress.of("198.51.100.9", List.of("203.0.113.7"), proxies))
        .isEqualTo("198.51.100.9");
    // From a proxy: the last address it did not write itself.
    assertThat(ClientAddress.of("10.0.0.1", List.of("203.0.113.7"), proxies))
        .isEqualTo("203.0.113.7");
    assertThat(
            ClientAddress.of("10.0.0.1", List.of("198.51.100.1, 203.0.113.7", "10.0.0.2"), proxies))
        .isEqualTo("203.0.113.7");
    // A malformed entry counts as the proxy's own address.
    assertThat(ClientAddress.of("10.0.0.1", List.of("203.0.113.7, garbage"), proxies))
        .isEqualTo("10.0.0.1");
  }
}
