package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The periodic self-check: each threshold is a share of its limit (heap max, direct memory max, the open-file
 * limit, {@code server.limits.maxConnections}) or, for threads, a count. Crossing one is logged and shown in the
 * metrics; {@code action} says what else happens.
 */
public record WatchdogConfig(boolean enabled, Duration interval, int heapUsedPercent, int directMemoryPercent,
                             int openFilesPercent, int connectionsPercent, int maxThreads, Action action) {
    public static final WatchdogConfig DEFAULTS = new WatchdogConfig(true, Duration.ofSeconds(10), 90, 90, 90, 90,
            1000, Action.WARN);

    /** What a crossed threshold does beyond the log line and the metric. */
    public enum Action {
        /** Nothing more. */
        WARN,
        /** {@code /readyz} fails until the check passes again, so the load balancer sends traffic elsewhere. */
        FAIL_READINESS,
        /** Idle upstream connections are closed, giving back file descriptors and buffers. */
        CLOSE_IDLE
    }

    public WatchdogConfig {
        requireNonNull(interval, "interval");
        requireNonNull(action, "action");
    }
}
