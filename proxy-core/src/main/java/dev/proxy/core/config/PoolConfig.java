package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The bounded connection pool towards each endpoint of a cluster (names as in reactor-netty).
 *
 * @param maxConnectionsPerEndpoint hard cap of open connections to one endpoint, across all event loops
 * @param maxPendingAcquires requests allowed to wait for a connection at the cap; beyond it they fail at once
 * @param acquireTimeout how long a request waits for a connection at the cap
 * @param maxIdleTime an idle pooled connection older than this is closed
 * @param maxLifeTime a connection is not reused after this age; {@link Duration#ZERO} means no limit
 * @param maxRequestsPerConnection a connection is closed after this many requests; 0 means no limit
 * @param maxStreamsPerConnection HTTP/2 only: requests one connection carries at once (the upstream's own
 *     {@code SETTINGS_MAX_CONCURRENT_STREAMS} may lower it)
 * @param learnIdleTimeout HTTP/1.1 only: learn each endpoint's unannounced idle timeout from the idle connections it
 *     closes, and stop reusing connections before it (see {@code IdleTimeoutLearner})
 */
public record PoolConfig(int maxConnectionsPerEndpoint, int maxPendingAcquires, Duration acquireTimeout,
                         Duration maxIdleTime, Duration maxLifeTime, int maxRequestsPerConnection,
                         int maxStreamsPerConnection, boolean learnIdleTimeout) {
    public static final int DEFAULT_MAX_STREAMS_PER_CONNECTION = 100;
    /** The config file's defaults. */
    public static final PoolConfig DEFAULTS = new PoolConfig(1024, 1024, Duration.ofSeconds(2), Duration.ofSeconds(30),
            Duration.ZERO, 0, DEFAULT_MAX_STREAMS_PER_CONNECTION, true);

    public PoolConfig {
        if (maxConnectionsPerEndpoint < 1) {
            throw new IllegalArgumentException("maxConnectionsPerEndpoint must be >= 1");
        }
        if (maxStreamsPerConnection < 1) {
            throw new IllegalArgumentException("maxStreamsPerConnection must be >= 1");
        }
        requireNonNull(acquireTimeout, "acquireTimeout");
        requireNonNull(maxIdleTime, "maxIdleTime");
        requireNonNull(maxLifeTime, "maxLifeTime");
    }

    /** A pool that learns idle timeouts, as the config file's default. */
    public PoolConfig(int maxConnectionsPerEndpoint, int maxPendingAcquires, Duration acquireTimeout,
                      Duration maxIdleTime, Duration maxLifeTime, int maxRequestsPerConnection,
                      int maxStreamsPerConnection) {
        this(maxConnectionsPerEndpoint, maxPendingAcquires, acquireTimeout, maxIdleTime, maxLifeTime,
                maxRequestsPerConnection, maxStreamsPerConnection, true);
    }
}
