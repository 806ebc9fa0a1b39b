package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

/** A cluster a route sends a share of its requests to; the share is weight / sum of the route's weights. */
public record WeightedCluster(String cluster, int weight) {
    public WeightedCluster {
        requireNonNull(cluster, "cluster");
        if (weight < 0) {
            throw new IllegalArgumentException("weight must be >= 0");
        }
    }
}
