package io.memescope.core.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which client a request came from, for per-client limits behind reverse proxies: the remote
 * address, or, for a request from a trusted proxy, the last address in its {@code X-Forwarded-For}
 * that is not a trusted proxy itself. Each proxy appends the address it received from, so only the
 * entries our own proxies wrote are believed; a client cannot choose its own bucket by sending the
 * header. A malformed entry there counts as the proxy's own address.
 */
public final class ClientAddress {
  private ClientAddress() {}

  /**
   * {@code text} as {@link InetAddress#getHostAddress()} writes it when it is an IPv4 or IPv6
   * literal (so "::1" and "0:0:0:0:0:0:0:1" compare equal); null for a host name, which is not
   * looked up ({@link AddressGuard#literal}).
   */
  public static String normal(String text) {
    return text == null
        ? null
        : AddressGuard.literal(text).map(InetAddress::getHostAddress).orElse(null);
  }

  /**
   * The key of {@code client}'s allowance in a per-client limit: an IPv6 address's /64 network
   * (written {@code 2001:db8:1:2::/64}), anything else as it is. An IPv6 host is given a /64 of its
   * own and can pick any of its 2^64 addresses per request, so a limit per address would limit
   * nobody. IPv4 addresses inside IPv6 ones ({@code ::ffff:a.b.c.d}) are IPv4 addresses here, as
   * {@link #normal} writes them.
   *
   * @param client an address from {@link #of}
   */
  public static String limitKey(String client) {
    if (client == null) {
      return null;
    }
    return AddressGuard.literal(client)
        .map(
            a -> {
              if (!(a instanceof Inet6Address)) {
                return a.getHostAddress();
              }
              byte[] b = a.getAddress();
              StringBuilder net = new StringBuilder();
              for (int i = 0; i < 8; i += 2) {
                net.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff)));
                net.append(':');
              }
              return net.append(":/64").toString();
            })
        .orElse(client);
  }

  /**
   * @param remote the address the connection came from
   * @param forwardedFor every {@code X-Forwarded-For} header of the request, in order
   * @param trustedProxies proxies' addresses as {@link #normal} writes them
   */
  public static String of(String remote, List<String> forwardedFor, Set<String> trustedProxies) {
    String normal = normal(remote);
    if (normal == null || !trustedProxies.contains(normal)) {
      return remote;
    }
    List<String> hops = new ArrayList<>();
    for (String header : forwardedFor) {
      for (String hop : header.split(",")) {
        hops.add(hop);
      }
    }
    for (int i = hops.size() - 1; i >= 0; i--) {
      String hop = normal(hops.get(i));
      if (hop == null) {
        return remote;
      }
      if (!trustedProxies.contains(hop)) {
        return hop;
      }
    }
    return remote;
  }
}
