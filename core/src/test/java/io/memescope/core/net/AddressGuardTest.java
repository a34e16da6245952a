package io.memescope.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressGuardTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1",
        "fe80::1", "fc00::1", "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::",
        // IPv4 inside IPv6: NAT64 (to 10.0.0.5 and 169.254.169.254), local-use NAT64, 6to4 (to
        // 192.168.0.1), IPv4-compatible (to 127.0.0.1)
        "64:ff9b::a00:5", "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:5", "2002:c0a8:1::1", "::7f00:1"
      })
  void refuses_non_public_addresses(String address) throws Exception {
    assertThat(AddressGuard.forbidden(InetAddress.getByName(address))).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "8.8.8.8",
        "151.101.1.140",
        "172.32.0.1",
        "2606:4700::1111",
        "100.128.0.1",
        "64:ff9b::808:808",
        "2002:808:808::1"
      })
  void allows_public_addresses(String address) throws Exception {
    assertThat(AddressGuard.forbidden(InetAddress.getByName(address))).isNull();
  }

  @Test
  void a_hostname_resolving_to_a_private_address_is_refused_with_both_named() {
    AddressGuard guard =
        new AddressGuard(Set.of(), host -> List.of(InetAddress.getByName("10.0.0.7")));

    assertThatThrownBy(() -> guard.lookup("innocent.example"))
        .isInstanceOf(BlockedAddressException.class)
        .hasMessage("innocent.example resolves to 10.0.0.7, a private address");
  }

  @Test
  void one_private_address_among_public_ones_is_enough_to_refuse() {
    AddressGuard guard =
        new AddressGuard(
            Set.of(),
            host -> List.of(InetAddress.getByName("8.8.8.8"), InetAddress.getByName("127.0.0.1")));
    assertThatThrownBy(() -> guard.lookup("rebind.example"))
        .isInstanceOf(BlockedAddressException.class);
  }

  @Test
  void an_explicitly_allowed_host_passes() throws Exception {
    AddressGuard guard =
        new AddressGuard(
            Set.of("NAS.local"), host -> List.of(InetAddress.getByName("192.168.1.5")));
    assertThat(guard.lookup("nas.local")).hasSize(1);
  }
}
