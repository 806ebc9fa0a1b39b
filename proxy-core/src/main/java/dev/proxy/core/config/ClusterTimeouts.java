package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Timeouts towards a cluster's endpoints.
 *
 * @param connect TCP connect, answered 504 {@code upstream_connect_timeout}
 * @param responseHeader from the last request byte written to the response head, answered 504
 * @param idle no bytes either way on an upstream connection while a request uses it
 */
public record ClusterTimeouts(Duration connect, Duration responseHeader, Duration idle) {
    /** The config file's defaults: connect 2 s, response head 15 s, idle 60 s. */
    public static final ClusterTimeouts DEFAULTS =
            new ClusterTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(15), Duration.ofSeconds(60));

    public ClusterTimeouts {
        requireNonNull(connect, "connect");
        requireNonNull(responseHeader, "responseHeader");
        requireNonNull(idle, "idle");
    }
}
