package dev.proxy.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.filter.RequestFilter;
import dev.proxy.core.observe.RouteObserver;
import dev.proxy.core.routing.Route;
import dev.proxy.core.routing.RouteTable;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one config generation needs to serve requests: routes, their targets and the clusters. Immutable; a
 * reload builds a new one and swaps a single reference, and every request keeps the snapshot it started with.
 */
public final class ConfigSnapshot {
    private final long generation;
    private final ProxyConfig config;
    private final RouteTable routes;
    private final RouteTarget[] targets;
    private final Map<String, Cluster> clusters;
    private final Optional<RequestFilter> globalLimit;
    private final RouteObserver unrouted;

    ConfigSnapshot(long generation, ProxyConfig config, RouteTable routes, List<RouteTarget> targets,
                   Map<String, Cluster> clusters, Optional<RequestFilter> globalLimit, RouteObserver unrouted) {
        this.generation = generation;
        this.config = requireNonNull(config, "config");
        this.routes = requireNonNull(routes, "routes");
        this.targets = targets.toArray(new RouteTarget[0]);
        this.clusters = Map.copyOf(clusters);
        this.globalLimit = requireNonNull(globalLimit, "globalLimit");
        this.unrouted = requireNonNull(unrouted, "unrouted");
    }

    /** The proxy-wide cap on requests in flight, if {@code limits.maxInFlightRequests} sets one. */
    public Optional<RequestFilter> globalLimit() {
        return globalLimit;
    }

    /** Hears the end of each request that matched no route or was refused before routing. */
    public RouteObserver unrouted() {
        return unrouted;
    }

    /** Every route's target, in the routes' order. */
    List<RouteTarget> targets() {
        return List.of(targets);
    }

    /** The target of the route named {@code name}, if there is one. */
    public Optional<RouteTarget> target(String name) {
        for (RouteTarget t : targets) {
            if (t.route().config().name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    public long generation() {
        return generation;
    }

    public ProxyConfig config() {
        return config;
    }

    public RouteTable routes() {
        return routes;
    }

    public Map<String, Cluster> clusters() {
        return clusters;
    }

    /** The target of the route a request matches, if any. Arguments as in {@link RouteTable#match}. */
    public Optional<RouteTarget> match(String host, String path, String method, HttpHeaders headers) {
        Optional<Route> route = routes.match(host, path, method, headers);
        return route.map(r -> targets[r.index()]);
    }
}
