package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * A cluster a route sends a share of its requests to; the share is weight / sum of the route's weights.
 *
 * @param endpointSelector the endpoints of the cluster this share goes to, by label; empty: the route's selector, if
 *     any. A split between two subsets of one cluster is a canary by label.
 */
public record WeightedCluster(String cluster, int weight, Optional<EndpointSelector> endpointSelector) {
    public WeightedCluster {
        requireNonNull(cluster, "cluster");
        if (weight < 0) {
            throw new IllegalArgumentException("weight must be >= 0");
        }
        requireNonNull(endpointSelector, "endpointSelector");
    }

    /** A share of the whole cluster (or of the route's selection). */
    public WeightedCluster(String cluster, int weight) {
        this(cluster, weight, Optional.empty());
    }
}
