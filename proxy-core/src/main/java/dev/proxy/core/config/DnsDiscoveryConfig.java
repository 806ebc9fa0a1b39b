package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * A cluster whose endpoints are the A/AAAA records of a DNS name, as Envoy's {@code STRICT_DNS}: every address is an
 * endpoint on {@code port}, and the name is resolved again after the records' TTL, kept between {@code minRefresh}
 * and {@code maxRefresh}.
 *
 * @param name the name to resolve, e.g. a Kubernetes headless Service {@code orders.default.svc.cluster.local}
 * @param port the port of every endpoint (DNS A/AAAA records carry none)
 * @param minRefresh the shortest time between two resolutions, also the retry interval after a failure
 * @param maxRefresh the longest time between two resolutions, however long the TTL
 * @param servers the DNS servers to ask, in order; empty: the system's ({@code /etc/resolv.conf})
 */
public record DnsDiscoveryConfig(String name, int port, Duration minRefresh, Duration maxRefresh,
                                 List<HostPort> servers) {
    public static final Duration DEFAULT_MIN_REFRESH = Duration.ofSeconds(5);
    public static final Duration DEFAULT_MAX_REFRESH = Duration.ofSeconds(60);

    public DnsDiscoveryConfig {
        requireNonNull(name, "name");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1-65535, was " + port);
        }
        requireNonNull(minRefresh, "minRefresh");
        requireNonNull(maxRefresh, "maxRefresh");
        if (minRefresh.isNegative() || minRefresh.isZero() || maxRefresh.compareTo(minRefresh) < 0) {
            throw new IllegalArgumentException("need 0 < minRefresh <= maxRefresh, was " + minRefresh + " and "
                    + maxRefresh);
        }
        servers = List.copyOf(servers);
    }

    /** The time until the next resolution after one whose shortest record TTL was {@code ttl}. */
    public Duration refreshAfter(Duration ttl) {
        if (ttl.compareTo(minRefresh) < 0) {
            return minRefresh;
        }
        return ttl.compareTo(maxRefresh) > 0 ? maxRefresh : ttl;
    }
}
