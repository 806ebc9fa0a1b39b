package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * A named group of interchangeable upstream endpoints and how to talk to them.
 *
 * @param healthCheck active health checks; empty means none (every endpoint counts as healthy)
 * @param circuitBreaker the breaker guarding the cluster; empty means none
 * @param etcdPrefix when present, the endpoints are not listed here ({@code endpoints} is empty) but registered in
 *     etcd under this key prefix
 * @param tls TLS to the endpoints; empty for plain HTTP
 * @param protocol HTTP/1.1 or HTTP/2 to the endpoints
 * @param http2 the flow-control windows offered to the endpoints over HTTP/2 (unused over HTTP/1.1)
 * @param dns when present, the endpoints are not listed here ({@code endpoints} is empty) but are the addresses of a
 *     DNS name; at most one of {@code etcdPrefix} and {@code dns}
 * @param locality zone-aware balancing: prefer the endpoints in the proxy's own zone
 * @param headers header edits of every route's requests to this cluster and their responses, applied before the
 *     route's own
 */
public record ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerConfig balancer, PoolConfig pool,
                            ClusterTimeouts timeouts, OutlierDetectionConfig outlierDetection,
                            Optional<HealthCheckConfig> healthCheck, Optional<CircuitBreakerConfig> circuitBreaker,
                            Optional<String> etcdPrefix, Optional<UpstreamTlsConfig> tls,
                            UpstreamProtocol protocol, UpstreamHttp2Config http2,
                            Optional<DnsDiscoveryConfig> dns, LocalityConfig locality, HeadersConfig headers) {
    public ClusterConfig {
        requireNonNull(name, "name");
        endpoints = List.copyOf(endpoints);
        requireNonNull(balancer, "balancer");
        requireNonNull(pool, "pool");
        requireNonNull(timeouts, "timeouts");
        requireNonNull(outlierDetection, "outlierDetection");
        requireNonNull(healthCheck, "healthCheck");
        requireNonNull(circuitBreaker, "circuitBreaker");
        requireNonNull(etcdPrefix, "etcdPrefix");
        requireNonNull(tls, "tls");
        requireNonNull(protocol, "protocol");
        requireNonNull(http2, "http2");
        requireNonNull(dns, "dns");
        requireNonNull(locality, "locality");
        requireNonNull(headers, "headers");
        if (etcdPrefix.isPresent() && dns.isPresent()) {
            throw new IllegalArgumentException("cluster " + name + ": discovery by etcd or by DNS, not both");
        }
    }

    /** A cluster without header edits of its own. */
    public ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerConfig balancer, PoolConfig pool,
                         ClusterTimeouts timeouts, OutlierDetectionConfig outlierDetection,
                         Optional<HealthCheckConfig> healthCheck, Optional<CircuitBreakerConfig> circuitBreaker,
                         Optional<String> etcdPrefix, Optional<UpstreamTlsConfig> tls,
                         UpstreamProtocol protocol, UpstreamHttp2Config http2, Optional<DnsDiscoveryConfig> dns,
                         LocalityConfig locality) {
        this(name, endpoints, balancer, pool, timeouts, outlierDetection, healthCheck, circuitBreaker, etcdPrefix, tls,
                protocol, http2, dns, locality, HeadersConfig.NONE);
    }

    /** A cluster without zone-aware balancing. */
    public ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerConfig balancer, PoolConfig pool,
                         ClusterTimeouts timeouts, OutlierDetectionConfig outlierDetection,
                         Optional<HealthCheckConfig> healthCheck, Optional<CircuitBreakerConfig> circuitBreaker,
                         Optional<String> etcdPrefix, Optional<UpstreamTlsConfig> tls,
                         UpstreamProtocol protocol, UpstreamHttp2Config http2, Optional<DnsDiscoveryConfig> dns) {
        this(name, endpoints, balancer, pool, timeouts, outlierDetection, healthCheck, circuitBreaker, etcdPrefix, tls,
                protocol, http2, dns, LocalityConfig.DISABLED);
    }

    /** A cluster with static endpoints or etcd discovery. */
    public ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerConfig balancer, PoolConfig pool,
                         ClusterTimeouts timeouts, OutlierDetectionConfig outlierDetection,
                         Optional<HealthCheckConfig> healthCheck, Optional<CircuitBreakerConfig> circuitBreaker,
                         Optional<String> etcdPrefix, Optional<UpstreamTlsConfig> tls,
                         UpstreamProtocol protocol, UpstreamHttp2Config http2) {
        this(name, endpoints, balancer, pool, timeouts, outlierDetection, healthCheck, circuitBreaker, etcdPrefix, tls,
                protocol, http2, Optional.empty());
    }

    /** A cluster with the default HTTP/2 windows. */
    public ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerConfig balancer, PoolConfig pool,
                         ClusterTimeouts timeouts, OutlierDetectionConfig outlierDetection,
                         Optional<HealthCheckConfig> healthCheck, Optional<CircuitBreakerConfig> circuitBreaker,
                         Optional<String> etcdPrefix, Optional<UpstreamTlsConfig> tls, UpstreamProtocol protocol) {
        this(name, endpoints, balancer, pool, timeouts, outlierDetection, healthCheck, circuitBreaker, etcdPrefix, tls,
                protocol, UpstreamHttp2Config.defaults(pool.maxStreamsPerConnection()));
    }

    /** A cluster over HTTP/1.1. */
    public ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerConfig balancer, PoolConfig pool,
                         ClusterTimeouts timeouts, OutlierDetectionConfig outlierDetection,
                         Optional<HealthCheckConfig> healthCheck, Optional<CircuitBreakerConfig> circuitBreaker,
                         Optional<String> etcdPrefix, Optional<UpstreamTlsConfig> tls) {
        this(name, endpoints, balancer, pool, timeouts, outlierDetection, healthCheck, circuitBreaker, etcdPrefix, tls,
                UpstreamProtocol.HTTP1);
    }

    /** A cluster over plain HTTP. */
    public ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerConfig balancer, PoolConfig pool,
                         ClusterTimeouts timeouts, OutlierDetectionConfig outlierDetection,
                         Optional<HealthCheckConfig> healthCheck, Optional<CircuitBreakerConfig> circuitBreaker,
                         Optional<String> etcdPrefix) {
        this(name, endpoints, balancer, pool, timeouts, outlierDetection, healthCheck, circuitBreaker, etcdPrefix,
                Optional.empty());
    }

    /** A cluster with static endpoints. */
    public ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerConfig balancer, PoolConfig pool,
                         ClusterTimeouts timeouts, OutlierDetectionConfig outlierDetection,
                         Optional<HealthCheckConfig> healthCheck, Optional<CircuitBreakerConfig> circuitBreaker) {
        this(name, endpoints, balancer, pool, timeouts, outlierDetection, healthCheck, circuitBreaker,
                Optional.empty());
    }

    /** True when the endpoints come from discovery rather than from the file. */
    public boolean discovered() {
        return etcdPrefix.isPresent() || dns.isPresent();
    }

    /** A cluster without a circuit breaker. */
    public ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerConfig balancer, PoolConfig pool,
                         ClusterTimeouts timeouts, OutlierDetectionConfig outlierDetection,
                         Optional<HealthCheckConfig> healthCheck) {
        this(name, endpoints, balancer, pool, timeouts, outlierDetection, healthCheck, Optional.empty(),
                Optional.empty());
    }
}
