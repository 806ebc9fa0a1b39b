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
    public ClusterTimeouts {
        requireNonNull(connect, "connect");
        requireNonNull(responseHeader, "responseHeader");
        requireNonNull(idle, "idle");
    }
}
