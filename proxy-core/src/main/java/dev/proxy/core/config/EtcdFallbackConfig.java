package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * A second etcd cluster that discovery turns to when the first one (the primary) has been unreachable for a while, and
 * turns away from when the primary is back. One of the two is authoritative at any time: its complete endpoint set of
 * each cluster replaces the one served, nothing is merged.
 *
 * @param connection how to reach the fallback cluster (its own members, credentials and TLS; no snapshot file)
 * @param failoverAfter how long the primary must have been unreachable before the fallback's sets are served
 * @param failbackAfter how long the primary must have been reachable again before its sets are served again
 */
public record EtcdFallbackConfig(EtcdConfig connection, Duration failoverAfter, Duration failbackAfter) {
    public static final Duration DEFAULT_FAILOVER_AFTER = Duration.ofSeconds(30);
    public static final Duration DEFAULT_FAILBACK_AFTER = Duration.ofSeconds(10);

    public EtcdFallbackConfig {
        requireNonNull(connection, "connection");
        requireNonNull(failoverAfter, "failoverAfter");
        requireNonNull(failbackAfter, "failbackAfter");
        if (connection.fallback().isPresent()) {
            throw new IllegalArgumentException("a fallback etcd has no fallback of its own");
        }
    }
}
