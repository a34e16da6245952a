package io.memescope.core.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import okhttp3.Dns;

/**
 * Refuses to connect to addresses that a URL from the internet must never reach: loopback, private,
 * link-local (cloud metadata at 169.254.169.254 included), carrier-grade NAT, multicast,
 * unspecified, and their IPv6 and IPv4-mapped forms. It is OkHttp's {@link Dns}, so the check
 * applies to the addresses actually connected to: after every redirect, and whatever a hostname
 * resolves to. Hosts listed in {@code allowedHosts} (a source that explicitly allows them, such as
 * a NAS on the LAN) are exempt.
 *
 * <pre>{@code
 * OkHttpClient client = new OkHttpClient.Builder().dns(new AddressGuard(Set.of())).build();
 * }</pre>
 */
public final class AddressGuard implements Dns {
  private final Set<String> allowedHosts;
  private final Dns resolver;

  public AddressGuard(Set<String> allowedHosts) {
    this(allowedHosts, Dns.SYSTEM);
  }

  AddressGuard(Set<String> allowedHosts, Dns resolver) {
    this.allowedHosts =
        allowedHosts.stream()
            .map(h -> h.toLowerCase(Locale.ROOT))
            .collect(java.util.stream.Collectors.toUnmodifiableSet());
    this.resolver = resolver;
  }

  @Override
  public List<InetAddress> lookup(String hostname) throws UnknownHostException {
    List<InetAddress> addresses = resolver.lookup(hostname);
    if (allowedHosts.contains(hostname.toLowerCase(Locale.ROOT))) {
      return addresses;
    }
    for (InetAddress address : addresses) {
      String why = forbidden(address);
      if (why != null) {
        throw new BlockedAddressException(
            hostname + " resolves to " + address.getHostAddress() + ", a " + why + " address");
      }
    }
    return addresses;
  }

  /** OkHttp's test for a host it connects to without DNS ({@code Util.canParseAsIpAddress}). */
  private static final java.util.regex.Pattern IP_LITERAL =
      java.util.regex.Pattern.compile("([0-9a-fA-F]*:[0-9a-fA-F:.]*)|([\\d.]+)");

  /**
   * Refuses a host written as an IP address ({@code 127.0.0.1}, {@code [::1]}, {@code 2130706433})
   * that is not public, unless allowed. OkHttp connects to such a host without asking its {@link
   * Dns}, so a client must call this for every request it sends, redirects included.
   */
  public static void checkLiteral(String host, Set<String> allowedHosts)
      throws BlockedAddressException {
    String h = host.toLowerCase(Locale.ROOT);
    if (allowedHosts.contains(h) || allowedHosts.contains("[" + h + "]")) {
      return;
    }
    // Not an address: a name, which lookup() checks by what it resolves to; or not an address
    // after all, and the connection fails the same way.
    InetAddress address = literal(h).orElse(null);
    if (address == null) {
      return;
    }
    String why = forbidden(address);
    if (why != null) {
      throw new BlockedAddressException(host + " is a " + why + " address");
    }
  }

  /**
   * {@code host} as the address it is written as ({@code 127.0.0.1}, {@code ::1}, {@code [::1]},
   * {@code 2130706433}); empty for a host name, which is never looked up here. (A name that only
   * looks like an address, {@code 300.1.1.1}, is handed to the resolver and comes back empty.)
   */
  public static java.util.Optional<InetAddress> literal(String host) {
    String h = host.strip().toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (!IP_LITERAL.matcher(h).matches()) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(InetAddress.getByName(h));
    } catch (UnknownHostException e) {
      return java.util.Optional.empty();
    }
  }

  /** Why {@code address} may not be contacted, or null when it is a public address. */
  public static String forbidden(InetAddress address) {
    if (address instanceof Inet6Address v6) {
      byte[] b = v6.getAddress();
      // An IPv4 address inside an IPv6 one reaches that IPv4 host: through the dual stack
      // (::ffff:a.b.c.d, ::a.b.c.d), a NAT64 gateway (64:ff9b::/96; on an IPv6-only cluster it
      // reaches private VPC addresses) or a 6to4 relay (2002:AABB:CCDD::/48).
      int at = embeddedV4(b);
      if (at >= 0) {
        try {
          String why =
              forbidden(InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, at, at + 4)));
          return why == null ? null : why + " (inside an IPv6 address)";
        } catch (UnknownHostException e) {
          return "malformed";
        }
      }
      if ((b[0] & 0xff) == 0x00
          && (b[1] & 0xff) == 0x64
          && (b[2] & 0xff) == 0xff
          && (b[3] & 0xff) == 0x9b
          && b[4] == 0
          && b[5] == 1) {
        return "local-use NAT64 (private)"; // 64:ff9b:1::/48, RFC 8215
      }
      if ((b[0] & 0xfe) == 0xfc) {
        return "unique-local (private)";
      }
    }
    if (address.isLoopbackAddress()) {
      return "loopback";
    }
    if (address.isAnyLocalAddress()) {
      return "unspecified";
    }
    if (address.isLinkLocalAddress()) {
      return "link-local (cloud metadata)";
    }
    if (address.isSiteLocalAddress()) {
      return "private";
    }
    if (address.isMulticastAddress()) {
      return "multicast";
    }
    if (address instanceof Inet4Address) {
      byte[] b = address.getAddress();
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      if (first == 0) {
        return "this-network";
      }
      if (first == 100 && second >= 64 && second <= 127) {
        return "carrier-grade NAT";
      }
      if (first == 198 && (second == 18 || second == 19)) {
        return "benchmarking";
      }
      if (first >= 240) {
        return "reserved";
      }
    }
    return null;
  }

  /**
   * Where an IPv4 address sits inside {@code b} (16 bytes): 12 for ::ffff:0:0/96 (mapped), ::/96
   * (compatible, but not :: or ::1) and 64:ff9b::/96 (NAT64), 2 for 2002::/16 (6to4); -1 for none.
   */
  private static int embeddedV4(byte[] b) {
    boolean zeros = true;
    for (int i = 0; i < 10; i++) {
      zeros &= b[i] == 0;
    }
    if (zeros && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
      return 12;
    }
    if (zeros && b[10] == 0 && b[11] == 0) {
      int tail = (b[12] | b[13] | b[14]) & 0xff;
      return tail == 0 && (b[15] & 0xff) <= 1 ? -1 : 12; // :: and ::1 are IPv6's own
    }
    boolean nat64 = (b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64;
    nat64 &= (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
    for (int i = 4; i < 12 && nat64; i++) {
      nat64 = b[i] == 0;
    }
    if (nat64) {
      return 12;
    }
    if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
      return 2;
    }
    return -1;
  }
}
