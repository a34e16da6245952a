package io.memescope.core.net;

import java.net.UnknownHostException;

/**
 * A connection the {@link AddressGuard} refused. It extends {@link UnknownHostException} because
 * that is what OkHttp's {@code Dns} may throw; callers catch it by this type to report {@code
 * blocked address} rather than a DNS failure.
 */
public final class BlockedAddressException extends UnknownHostException {
  public BlockedAddressException(String message) {
    super(message);
  }
}
