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

    /** Whether the proxy answers this route's requests itself (a redirect or a direct response). */
    public boolean answersItself() {
        return redirect.isPresent() || directResponse.isPresent();
    }

    /** A route's {@code timeout} when the file gives none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /**
     * A builder of a route that sends what {@code match} takes to {@code clusters} (empty for a route that answers
     * itself: then give a redirect or a direct response), with the config file's defaults: no rewrite, a 30 s
     * timeout, the default body limit of {@code server.limits} (10 MiB), no policies, header edits or endpoint
     * selector.
     */
    public static Builder builder(String name, RouteMatch match, List<WeightedCluster> clusters) {
        return new Builder(name, match, clusters);
    }

    /** Sets what differs from the defaults of {@link #builder}, then {@link #build}s. Not thread-safe; single use. */
    public static final class Builder {
        private final String name;
        private final RouteMatch match;
        private final List<WeightedCluster> clusters;
        private Rewrite rewrite = Rewrite.NONE;
        private Duration timeout = DEFAULT_TIMEOUT;
        private long maxBodySize = LimitsConfig.DEFAULT_MAX_BODY_SIZE;
        private RoutePolicies policies = RoutePolicies.NONE;
        private HeadersConfig headers = HeadersConfig.NONE;
        private Optional<RedirectConfig> redirect = Optional.empty();
        private Optional<DirectResponseConfig> directResponse = Optional.empty();
        private Optional<EndpointSelector> endpointSelector = Optional.empty();

        private Builder(String name, RouteMatch match, List<WeightedCluster> clusters) {
            this.name = requireNonNull(name, "name");
            this.match = requireNonNull(match, "match");
            this.clusters = requireNonNull(clusters, "clusters");
        }

        public Builder rewrite(Rewrite rewrite) {
            this.rewrite = requireNonNull(rewrite, "rewrite");
            return this;
        }

        /** {@link Duration#ZERO} for none. */
        public Builder timeout(Duration timeout) {
            this.timeout = requireNonNull(timeout, "timeout");
            return this;
        }

        public Builder maxBodySize(long maxBodySize) {
            this.maxBodySize = maxBodySize;
            return this;
        }

        public Builder policies(RoutePolicies policies) {
            this.policies = requireNonNull(policies, "policies");
            return this;
        }

        public Builder headers(HeadersConfig headers) {
            this.headers = requireNonNull(headers, "headers");
            return this;
        }

        public Builder redirect(RedirectConfig redirect) {
            this.redirect = Optional.of(redirect);
            return this;
        }

        public Builder directResponse(DirectResponseConfig directResponse) {
            this.directResponse = Optional.of(directResponse);
            return this;
        }

        public Builder endpointSelector(EndpointSelector endpointSelector) {
            this.endpointSelector = Optional.of(endpointSelector);
            return this;
        }

        /** The route, checked as the canonical constructor checks it. */
        public RouteConfig build() {
            return new RouteConfig(name, match, clusters, rewrite, timeout, maxBodySize, policies, headers, redirect,
                    directResponse, endpointSelector);
        }
    }
}
