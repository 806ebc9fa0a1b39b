package dev.proxy.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.filter.RequestFilter;
import dev.proxy.core.filter.RetryPolicy;
import dev.proxy.core.observe.RouteObserver;
import dev.proxy.core.routing.Route;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Where a route sends its requests and what they pass on the way: the route's admission filters in chain order,
 * its header edits, its retry policy, one cluster or a weighted split between several (a canary), an optional
 * mirror, and the observer that hears each request's end. Immutable.
 */
public final class RouteTarget {
    private final Route route;
    private final Cluster[] clusters;
    private final int[] cumulativeWeights;
    private final List<RequestFilter> routeFilters;
    private final RequestFilter[] filters;
    private final RetryPolicy retry;
    private final Optional<Cluster> mirror;
    private final RouteObserver observer;
    private final HeaderRules requestHeaders;
    private final HeaderRules responseHeaders;
    /** Each cluster's edits then the route's, by the index of {@link #clusters}. */
    private final HeaderRules[] requestHeadersTo;
    private final HeaderRules[] responseHeadersFrom;
    private final byte[] directBody;
    private final RoutePlan plan;

    /**
     * Where a route's requests go.
     *
     * @param clusters the route's clusters (subset views where it selects endpoints), in the order of the file
     * @param weights the weight of each of {@code clusters}, by index
     * @param mirror the shadow cluster that gets copies, if the route mirrors
     */
    record Destinations(Cluster[] clusters, int[] weights, Optional<Cluster> mirror) {
        Destinations {
            if (clusters.length != weights.length) {
                throw new IllegalArgumentException("one weight per cluster");
            }
            requireNonNull(mirror, "mirror");
        }
    }

    /**
     * What a route's requests pass on the way: the admission filters and the retry policy.
     *
     * @param globalLimit the proxy-wide cap on requests in flight, run before the route's own filters, if set
     * @param routeFilters the route's filters, kept so that a reload that leaves the route alone keeps them
     * @param retry the route's retry policy, kept with its budget across such reloads too
     */
    record Policies(Optional<RequestFilter> globalLimit, List<RequestFilter> routeFilters, RetryPolicy retry) {
        Policies {
            requireNonNull(globalLimit, "globalLimit");
            routeFilters = List.copyOf(routeFilters);
            requireNonNull(retry, "retry");
        }
    }

    /** @param observer hears the end of each of the route's requests, kept across reloads while the route's name is */
    RouteTarget(Route route, Destinations to, Policies policies, RouteObserver observer) {
        this.route = route;
        this.clusters = to.clusters();
        int[] weights = to.weights();
        this.cumulativeWeights = new int[weights.length];
        int sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += weights[i];
            cumulativeWeights[i] = sum;
        }
        this.routeFilters = policies.routeFilters();
        int offset = policies.globalLimit().isPresent() ? 1 : 0;
        this.filters = new RequestFilter[offset + routeFilters.size()];
        policies.globalLimit().ifPresent(limit -> filters[0] = limit);
        for (int i = 0; i < routeFilters.size(); i++) {
            filters[offset + i] = routeFilters.get(i);
        }
        this.retry = policies.retry();
        this.mirror = to.mirror();
        this.observer = observer;
        // compiled here, once per snapshot, so that no request parses a header edit
        this.requestHeaders = HeaderRules.of(route.config().headers().request());
        this.responseHeaders = HeaderRules.of(route.config().headers().response());
        this.requestHeadersTo = new HeaderRules[clusters.length];
        this.responseHeadersFrom = new HeaderRules[clusters.length];
        for (int i = 0; i < clusters.length; i++) {
            requestHeadersTo[i] = clusters[i].requestHeaders().then(requestHeaders);
            responseHeadersFrom[i] = clusters[i].responseHeaders().then(responseHeaders);
        }
        this.plan = RoutePlan.of(route.config());
        this.directBody = route.config().directResponse().map(d -> d.body().getBytes(StandardCharsets.UTF_8))
                .orElse(null);
    }

    public Route route() {
        return route;
    }

    /** The route's clusters, in the order of the file. */
    public List<Cluster> clusters() {
        return List.of(clusters);
    }

    /** The weight of {@code clusters().get(i)}. */
    public int weight(int i) {
        return cumulativeWeights[i] - (i == 0 ? 0 : cumulativeWeights[i - 1]);
    }

    /** The number of admission filters a request passes, the global limit included. */
    public int filterCount() {
        return filters.length;
    }

    /** Admission filter {@code i} in chain order. */
    public RequestFilter filter(int i) {
        return filters[i];
    }

    List<RequestFilter> routeFilters() {
        return routeFilters;
    }

    /** The edits of a request head sent to {@code cluster}: the cluster's own, then the route's. */
    public HeaderRules requestHeaders(Cluster cluster) {
        for (int i = 0; i < clusters.length; i++) {
            if (clusters[i] == cluster) {
                return requestHeadersTo[i];
            }
        }
        return requestHeaders;
    }

    /** The edits of a response head from {@code cluster}: the cluster's own, then the route's. */
    public HeaderRules responseHeaders(Cluster cluster) {
        for (int i = 0; i < clusters.length; i++) {
            if (clusters[i] == cluster) {
                return responseHeadersFrom[i];
            }
        }
        return responseHeaders;
    }

    /** The route's edits of the upstream's response head sent to the client. */
    public HeaderRules responseHeaders() {
        return responseHeaders;
    }

    /**
     * The body of the route's {@code directResponse} as UTF-8, encoded once per snapshot; null for a route without
     * one. Shared by every request: read it, never write to it.
     */
    public byte[] directBody() {
        return directBody;
    }

    /** The route's times, limits and rewrites as the request path reads them, compiled with the snapshot. */
    public RoutePlan plan() {
        return plan;
    }

    public RetryPolicy retry() {
        return retry;
    }

    /** Hears the end of each of the route's requests. */
    public RouteObserver observer() {
        return observer;
    }

    /** The cluster that gets copies of the route's requests, if the route mirrors. */
    public Optional<Cluster> mirror() {
        return mirror;
    }

    /** The cluster for one request; with several, chosen at random in proportion to the weights. */
    public Cluster pickCluster() {
        if (clusters.length == 1) {
            return clusters[0];
        }
        int r = ThreadLocalRandom.current().nextInt(cumulativeWeights[cumulativeWeights.length - 1]);
        for (int i = 0; i < cumulativeWeights.length; i++) {
            if (r < cumulativeWeights[i]) {
                return clusters[i];
            }
        }
        return clusters[clusters.length - 1];
    }
}
