package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole routes file after validation: immutable, safe to share between threads.
 *
 * @param etcd the etcd connection of the clusters that discover their endpoints there; empty when none does
 * @param redis the Redis of the rate limits with {@code scope: global}; empty when none has it
 * @param configSource where a replica of a fleet reads {@code discovery}, {@code clusters} and {@code routes}
 *     (etcd); empty when they come from the file itself
 */
public record ProxyConfig(ServerConfig server, Optional<EtcdConfig> etcd, List<ClusterConfig> clusters,
                          List<RouteConfig> routes, ObservabilityConfig observability, Optional<RedisConfig> redis,
                          Optional<ConfigSourceConfig> configSource) {
    public ProxyConfig {
        requireNonNull(server, "server");
        requireNonNull(etcd, "etcd");
        clusters = List.copyOf(clusters);
        routes = List.copyOf(routes);
        requireNonNull(observability, "observability");
        requireNonNull(redis, "redis");
        requireNonNull(configSource, "configSource");
    }

    /** A config read from one file, with no fleet config source. */
    public ProxyConfig(ServerConfig server, Optional<EtcdConfig> etcd, List<ClusterConfig> clusters,
                       List<RouteConfig> routes, ObservabilityConfig observability, Optional<RedisConfig> redis) {
        this(server, etcd, clusters, routes, observability, redis, Optional.empty());
    }

    /** A config without Redis. */
    public ProxyConfig(ServerConfig server, Optional<EtcdConfig> etcd, List<ClusterConfig> clusters,
                       List<RouteConfig> routes, ObservabilityConfig observability) {
        this(server, etcd, clusters, routes, observability, Optional.empty(), Optional.empty());
    }

    /** The etcd key prefix of each cluster that discovers its endpoints, by cluster name, in file order. */
    public Map<String, String> etcdPrefixes() {
        Map<String, String> prefixes = new LinkedHashMap<>();
        for (ClusterConfig c : clusters) {
            c.etcdPrefix().ifPresent(p -> prefixes.put(c.name(), p));
        }
        return prefixes;
    }

    /** The DNS name of each cluster that discovers its endpoints by DNS, by cluster name, in file order. */
    public Map<String, DnsDiscoveryConfig> dnsClusters() {
        Map<String, DnsDiscoveryConfig> names = new LinkedHashMap<>();
        for (ClusterConfig c : clusters) {
            c.dns().ifPresent(d -> names.put(c.name(), d));
        }
        return names;
    }

    public Optional<ClusterConfig> cluster(String name) {
        return clusters.stream().filter(c -> c.name().equals(name)).findFirst();
    }
}
