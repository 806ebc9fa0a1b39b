package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One route: which requests it takes, where they go and how they are changed on the way.
 *
 * @param clusters one cluster, or several with weights for a canary split
 * @param timeout the overall deadline of a request on this route; {@link Duration#ZERO} means none
 * @param maxBodySize request body limit on this route, answered 413
 * @param policies retries, limits, faults and mirroring
 * @param headers the header edits of the request sent upstream and of the response sent back
 * @param redirect when present, the route answers every request with this redirect and has no clusters
 * @param directResponse when present, the route answers every request with this response and has no clusters
 * @param endpointSelector when present, only the endpoints of the clusters with these labels get the route's requests
 */
public record RouteConfig(String name, RouteMatch match, List<WeightedCluster> clusters, Rewrite rewrite,
                          Duration timeout, long maxBodySize, RoutePolicies policies, HeadersConfig headers,
                          Optional<RedirectConfig> redirect, Optional<DirectResponseConfig> directResponse,
                          Optional<EndpointSelector> endpointSelector) {
    public RouteConfig {
        requireNonNull(name, "name");
        requireNonNull(match, "match");
        clusters = List.copyOf(clusters);
        requireNonNull(redirect, "redirect");
        requireNonNull(directResponse, "directResponse");
        int answers = (clusters.isEmpty() ? 0 : 1) + (redirect.isPresent() ? 1 : 0)
                + (directResponse.isPresent() ? 1 : 0);
        if (answers != 1) {
            throw new IllegalArgumentException("a route needs clusters, a redirect or a direct response: one of them");
        }
        requireNonNull(rewrite, "rewrite");
        requireNonNull(timeout, "timeout");
        requireNonNull(policies, "policies");
        requireNonNull(headers, "headers");
        requireNonNull(endpointSelector, "endpointSelector");
    }

    /** A route that selects no endpoints by label. */
    public RouteConfig(String name, RouteMatch match, List<WeightedCluster> clusters, Rewrite rewrite,
                       Duration timeout, long maxBodySize, RoutePolicies policies, HeadersConfig headers,
                       Optional<RedirectConfig> redirect, Optional<DirectResponseConfig> directResponse) {
        this(name, match, clusters, rewrite, timeout, maxBodySize, policies, headers, redirect, directResponse,
                Optional.empty());
    }

    /** A route that forwards to clusters. */
    public RouteConfig(String name, RouteMatch match, List<WeightedCluster> clusters, Rewrite rewrite,
                       Duration timeout, long maxBodySize, RoutePolicies policies, HeadersConfig headers) {
        this(name, match, clusters, rewrite, timeout, maxBodySize, policies, headers, Optional.empty(),
                Optional.empty());
    }

    /** Whether the proxy answers this route's requests itself (a redirect or a direct response). */
    public boolean answersItself() {
        return redirect.isPresent() || directResponse.isPresent();
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
