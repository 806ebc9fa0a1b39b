package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One upstream address of a cluster, with its relative weight (used by weighted policies), the zone it runs in (for
 * zone-aware balancing) and its labels (for the routes' endpoint selectors).
 *
 * @param zone the endpoint's zone, e.g. {@code eu-west-1a}; empty when unknown (it then counts as another zone than
 *     the proxy's own)
 * @param labels the endpoint's labels, e.g. {@code env=canary}; sorted by name
 */
public record EndpointConfig(HostPort address, int weight, Optional<String> zone, Map<String, String> labels) {
    public EndpointConfig {
        requireNonNull(address, "address");
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be >= 1, was " + weight);
        }
        requireNonNull(zone, "zone");
        // sorted, so that two registrations with the same labels compare and print alike
        labels = Collections.unmodifiableSortedMap(new TreeMap<>(requireNonNull(labels, "labels")));
    }

    /** An endpoint without zone or labels. */
    public EndpointConfig(HostPort address, int weight) {
        this(address, weight, Optional.empty(), Map.of());
    }
}
