package dev.proxy.resilience.ratelimit;

import dev.proxy.core.config.RateLimitConfig;
import dev.proxy.core.filter.RequestInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** What a keyed rate limit counts a request under. Immutable and thread-safe. */
final class ClientKeys {
    private final boolean byClientIp;
    private final String header;

    ClientKeys(RateLimitConfig config) {
        this.byClientIp = config.clientIp();
        this.header = config.header().orElse(null);
    }

    /**
     * The client IP, the header's value, or both joined by a space, which cannot occur in an IP address, so distinct
     * pairs never share a key. A missing header counts as the empty value: all requests without it share a limiter.
     */
    String of(RequestInfo request) {
        String value = header == null ? null : request.request().headers().get(header);
        if (!byClientIp) {
            return value == null ? "" : value;
        }
        String ip = ipOf(request.client());
        return header == null ? ip : ip + ' ' + (value == null ? "" : value);
    }

    private static String ipOf(InetSocketAddress client) {
        InetAddress address = client.getAddress();
        return address != null ? address.getHostAddress() : client.getHostString();
    }
}
