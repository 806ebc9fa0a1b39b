package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

/** One upstream address of a cluster, with its relative weight (used by weighted policies). */
public record EndpointConfig(HostPort address, int weight) {
    public EndpointConfig {
        requireNonNull(address, "address");
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be >= 1, was " + weight);
        }
    }
}
