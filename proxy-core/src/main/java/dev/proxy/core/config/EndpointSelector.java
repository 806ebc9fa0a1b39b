package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A route's choice of endpoints by their labels (a subset, in Envoy's terms): only the endpoints of the route's
 * clusters whose labels include every one of {@code labels} get its requests.
 *
 * @param labels the labels an endpoint must have, name to value; sorted by name
 * @param fallback what happens when no endpoint of a cluster matches
 */
public record EndpointSelector(Map<String, String> labels, Fallback fallback) {
    /** What a route does when a cluster has no endpoint with the selected labels. */
    public enum Fallback {
        /** Any endpoint of the cluster: the selector is a preference. */
        ANY("any"),
        /** None: the request is answered 503 {@code no_subset_endpoint}. */
        FAIL("fail");

        private final String configName;

        Fallback(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }
    }

    public EndpointSelector {
        requireNonNull(labels, "labels");
        if (labels.isEmpty()) {
            throw new IllegalArgumentException("an endpoint selector needs at least one label");
        }
        labels = Collections.unmodifiableSortedMap(new TreeMap<>(labels));
        requireNonNull(fallback, "fallback");
    }

    /** The labels as {@code env=canary,version=2}. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        labels.forEach((k, v) -> b.append(b.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return b.toString();
    }
}
