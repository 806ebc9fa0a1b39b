package dev.proxy.core.routing;

import dev.proxy.core.config.RouteConfig;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the route of a request: the first route in file order whose conditions all hold. Indexed by host (exact,
 * then each wildcard suffix, then routes for any host) and within a host by path, so the cost of a match depends on
 * the request, not on the number of routes. Immutable; built off the event loops, shared by all of them.
 */
public final class RouteTable {
    private final List<Route> routes;
    private final Map<String, PathIndex> exactHosts;
    private final Map<String, PathIndex> wildcardHosts;
    private final PathIndex anyHost;

    private RouteTable(List<RouteConfig> configs) {
        List<Route> all = new ArrayList<>();
        Map<String, List<Route>> exact = new LinkedHashMap<>();
        Map<String, List<Route>> wildcard = new LinkedHashMap<>();
        List<Route> any = new ArrayList<>();
        for (RouteConfig config : configs) {
            Route route = new Route(all.size(), config);
            all.add(route);
            Optional<String> host = config.match().host();
            if (host.isEmpty()) {
                any.add(route);
            } else if (host.get().startsWith("*.")) {
                wildcard.computeIfAbsent(host.get().substring(1), k -> new ArrayList<>()).add(route);
            } else {
                exact.computeIfAbsent(host.get(), k -> new ArrayList<>()).add(route);
            }
        }
        this.routes = List.copyOf(all);
        this.exactHosts = index(exact);
        this.wildcardHosts = index(wildcard);
        this.anyHost = new PathIndex(any);
    }

    public static RouteTable of(List<RouteConfig> configs) {
        return new RouteTable(configs);
    }

    public List<Route> routes() {
        return routes;
    }

    /**
     * The route for a request, if any.
     *
     * @param host the Host header in lower case, without port
     * @param path the request path without query, normalised
     */
    public Optional<Route> match(String host, String path, String method, HttpHeaders headers) {
        Route best = null;
        PathIndex byHost = exactHosts.get(host);
        if (byHost != null) {
            best = byHost.first(host, path, method, headers, null);
        }
        if (!wildcardHosts.isEmpty()) {
            for (int dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
                PathIndex bySuffix = wildcardHosts.get(host.substring(dot));
                if (bySuffix != null) {
                    best = bySuffix.first(host, path, method, headers, best);
                }
            }
        }
        return Optional.ofNullable(anyHost.first(host, path, method, headers, best));
    }

    private static Map<String, PathIndex> index(Map<String, List<Route>> byHost) {
        Map<String, PathIndex> result = new HashMap<>();
        byHost.forEach((host, list) -> result.put(host, new PathIndex(list)));
        return result;
    }
}
