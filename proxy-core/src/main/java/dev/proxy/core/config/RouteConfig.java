package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * One route: which requests it takes, where they go and how they are changed on the way.
 *
 * @param clusters one cluster, or several with weights for a canary split
 * @param timeout the overall deadline of a request on this route; {@link Duration#ZERO} means none
 * @param maxBodySize request body limit on this route, answered 413
 * @param policies retries, limits, faults and mirroring
 * @param headers the header edits of the request sent upstream and of the response sent back
 */
public record RouteConfig(String name, RouteMatch match, List<WeightedCluster> clusters, Rewrite rewrite,
                          Duration timeout, long maxBodySize, RoutePolicies policies, HeadersConfig headers) {
    public RouteConfig {
        requireNonNull(name, "name");
        requireNonNull(match, "match");
        clusters = List.copyOf(clusters);
        if (clusters.isEmpty()) {
            throw new IllegalArgumentException("a route needs at least one cluster");
        }
        requireNonNull(rewrite, "rewrite");
        requireNonNull(timeout, "timeout");
        requireNonNull(policies, "policies");
        requireNonNull(headers, "headers");
    }

    /** A route without header edits. */
    public RouteConfig(String name, RouteMatch match, List<WeightedCluster> clusters, Rewrite rewrite,
                       Duration timeout, long maxBodySize, RoutePolicies policies) {
        this(name, match, clusters, rewrite, timeout, maxBodySize, policies, HeadersConfig.NONE);
    }

    /** A route that only forwards. */
    public RouteConfig(String name, RouteMatch match, List<WeightedCluster> clusters, Rewrite rewrite,
                       Duration timeout, long maxBodySize) {
        this(name, match, clusters, rewrite, timeout, maxBodySize, RoutePolicies.NONE);
    }
}
