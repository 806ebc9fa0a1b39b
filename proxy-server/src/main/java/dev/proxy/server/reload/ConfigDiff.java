package dev.proxy.server.reload;

import dev.proxy.core.config.ClusterConfig;
import dev.proxy.core.config.LimitsConfig;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.config.RouteConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What a new config changes against the running one, by name: routes and clusters added, removed and changed, and
 * the parts that only apply at the next start ({@code server} apart from the in-flight cap, {@code observability}).
 */
public record ConfigDiff(List<String> routesAdded, List<String> routesRemoved, List<String> routesChanged,
                         List<String> clustersAdded, List<String> clustersRemoved, List<String> clustersChanged,
                         boolean discoveryChanged, List<String> needRestart) {
    public ConfigDiff {
        routesAdded = List.copyOf(routesAdded);
        routesRemoved = List.copyOf(routesRemoved);
        routesChanged = List.copyOf(routesChanged);
        clustersAdded = List.copyOf(clustersAdded);
        clustersRemoved = List.copyOf(clustersRemoved);
        clustersChanged = List.copyOf(clustersChanged);
        needRestart = List.copyOf(needRestart);
    }

    public static ConfigDiff between(ProxyConfig old, ProxyConfig next) {
        List<String> ra = new ArrayList<>();
        List<String> rr = new ArrayList<>();
        List<String> rc = new ArrayList<>();
        compare(byName(old.routes(), RouteConfig::name), byName(next.routes(), RouteConfig::name), ra, rr, rc);
        List<String> ca = new ArrayList<>();
        List<String> cr = new ArrayList<>();
        List<String> cc = new ArrayList<>();
        compare(byName(old.clusters(), ClusterConfig::name), byName(next.clusters(), ClusterConfig::name), ca, cr, cc);
        List<String> restart = new ArrayList<>();
        var oldServer = old.server();
        var newServer = next.server();
        boolean onlyInFlight = oldServer.listen().equals(newServer.listen())
                && oldServer.adminListen().equals(newServer.adminListen())
                && oldServer.eventLoops() == newServer.eventLoops()
                && oldServer.drainGracePeriod().equals(newServer.drainGracePeriod())
                // the listener's pipelines are built with the HTTP/2 and TLS settings it started with (certificate
                // files are read again when they change, without a reload)
                && oldServer.http2().equals(newServer.http2())
                && oldServer.tls().equals(newServer.tls())
                && oldServer.adminAllowWrites() == newServer.adminAllowWrites()
                && sameExceptInFlight(oldServer.limits(), newServer.limits());
        if (!onlyInFlight) {
            restart.add("server");
        }
        if (!old.observability().equals(next.observability())) {
            restart.add("observability");
        }
        // the Redis client of the global rate limits is made once, at start
        if (!old.redis().equals(next.redis())) {
            restart.add("redis");
        }
        if (!old.configSource().equals(next.configSource())) {
            restart.add("configSource");
        }
        return new ConfigDiff(ra, rr, rc, ca, cr, cc, !old.etcd().equals(next.etcd()), restart);
    }

    /**
     * The listener's limits apply at the next start, but for the in-flight cap (a filter, rebuilt with the snapshot),
     * the default body size (already resolved into each route, so the routes show its change) and the WebSocket idle
     * timeout (read from the snapshot an upgrade request started on).
     */
    private static boolean sameExceptInFlight(LimitsConfig a, LimitsConfig b) {
        return a.equals(new LimitsConfig(b.maxConnections(), b.maxHeaderSize(), b.maxRequestLineSize(),
                a.maxBodySize(), b.requestHeaderTimeout(), b.idleTimeout(), a.maxInFlightRequests(),
                a.websocketIdleTimeout()));
    }

    private static <T> Map<String, T> byName(List<T> items, Function<T, String> name) {
        Map<String, T> map = new LinkedHashMap<>();
        items.forEach(i -> map.put(name.apply(i), i));
        return map;
    }

    private static <T> void compare(Map<String, T> old, Map<String, T> next, List<String> added,
                                    List<String> removed, List<String> changed) {
        next.forEach((name, item) -> {
            T before = old.get(name);
            if (before == null) {
                added.add(name);
            } else if (!before.equals(item)) {
                changed.add(name);
            }
        });
        old.keySet().stream().filter(name -> !next.containsKey(name)).forEach(removed::add);
    }

    /** True when the new config is the running one in every respect. */
    public boolean isEmpty() {
        return routesAdded.isEmpty() && routesRemoved.isEmpty() && routesChanged.isEmpty() && clustersAdded.isEmpty()
                && clustersRemoved.isEmpty() && clustersChanged.isEmpty() && !discoveryChanged && needRestart.isEmpty();
    }

    /** One line for the log, e.g. {@code routes +orders ~users -legacy; clusters ~users}. */
    public String summary() {
        if (isEmpty()) {
            return "no change";
        }
        List<String> parts = new ArrayList<>();
        part(parts, "routes", routesAdded, routesChanged, routesRemoved);
        part(parts, "clusters", clustersAdded, clustersChanged, clustersRemoved);
        if (discoveryChanged) {
            parts.add("etcd connection changed");
        }
        if (!needRestart.isEmpty()) {
            parts.add(String.join(" and ", needRestart) + " changed: applies at the next start");
        }
        return String.join("; ", parts);
    }

    private static void part(List<String> parts, String what, List<String> added, List<String> changed,
                             List<String> removed) {
        if (added.isEmpty() && changed.isEmpty() && removed.isEmpty()) {
            return;
        }
        StringBuilder b = new StringBuilder(what);
        added.forEach(n -> b.append(" +").append(n));
        changed.forEach(n -> b.append(" ~").append(n));
        removed.forEach(n -> b.append(" -").append(n));
        parts.add(b.toString());
    }
}
