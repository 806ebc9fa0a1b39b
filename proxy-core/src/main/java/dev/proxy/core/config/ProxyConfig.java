package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/** The whole routes file after validation: immutable, safe to share between threads. */
public record ProxyConfig(ServerConfig server, List<ClusterConfig> clusters, List<RouteConfig> routes) {
    public ProxyConfig {
        requireNonNull(server, "server");
        clusters = List.copyOf(clusters);
        routes = List.copyOf(routes);
    }

    public Optional<ClusterConfig> cluster(String name) {
        return clusters.stream().filter(c -> c.name().equals(name)).findFirst();
    }
}
