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

    /** True when the endpoints come from discovery rather than from the file. */
    public boolean discovered() {
        return etcdPrefix.isPresent() || dns.isPresent();
    }

    /**
     * A builder of a cluster over {@code endpoints} with the config file's defaults: round robin, the default pool
     * and timeouts, no outlier detection, health checks, breaker, discovery, TLS, locality or header edits, HTTP/1.1,
     * and the default HTTP/2 windows for the pool's {@code maxStreamsPerConnection}.
     */
    public static Builder builder(String name, List<EndpointConfig> endpoints) {
        return new Builder(name, endpoints);
    }

    /** Sets what differs from the defaults of {@link #builder}, then {@link #build}s. Not thread-safe; single use. */
    public static final class Builder {
        private final String name;
        private final List<EndpointConfig> endpoints;
        private BalancerConfig balancer = BalancerConfig.ROUND_ROBIN;
        private PoolConfig pool = PoolConfig.DEFAULTS;
        private ClusterTimeouts timeouts = ClusterTimeouts.DEFAULTS;
        private OutlierDetectionConfig outlierDetection = OutlierDetectionConfig.DISABLED;
        private Optional<HealthCheckConfig> healthCheck = Optional.empty();
        private Optional<CircuitBreakerConfig> circuitBreaker = Optional.empty();
        private Optional<String> etcdPrefix = Optional.empty();
        private Optional<UpstreamTlsConfig> tls = Optional.empty();
        private UpstreamProtocol protocol = UpstreamProtocol.HTTP1;
        /** Empty until set: then the defaults for the pool's streams per connection, known only at build. */
        private Optional<UpstreamHttp2Config> http2 = Optional.empty();
        private Optional<DnsDiscoveryConfig> dns = Optional.empty();
        private LocalityConfig locality = LocalityConfig.DISABLED;
        private HeadersConfig headers = HeadersConfig.NONE;

        private Builder(String name, List<EndpointConfig> endpoints) {
            this.name = requireNonNull(name, "name");
            this.endpoints = requireNonNull(endpoints, "endpoints");
        }

        public Builder balancer(BalancerConfig balancer) {
            this.balancer = requireNonNull(balancer, "balancer");
            return this;
        }

        public Builder pool(PoolConfig pool) {
            this.pool = requireNonNull(pool, "pool");
            return this;
        }

        public Builder timeouts(ClusterTimeouts timeouts) {
            this.timeouts = requireNonNull(timeouts, "timeouts");
            return this;
        }

        public Builder outlierDetection(OutlierDetectionConfig outlierDetection) {
            this.outlierDetection = requireNonNull(outlierDetection, "outlierDetection");
            return this;
        }

        public Builder healthCheck(HealthCheckConfig healthCheck) {
            this.healthCheck = Optional.of(healthCheck);
            return this;
        }

        public Builder circuitBreaker(CircuitBreakerConfig circuitBreaker) {
            this.circuitBreaker = Optional.of(circuitBreaker);
            return this;
        }

        /** Endpoints discovered in etcd under {@code prefix}, instead of listed. */
        public Builder etcdPrefix(String prefix) {
            this.etcdPrefix = Optional.of(prefix);
            return this;
        }

        public Builder tls(UpstreamTlsConfig tls) {
            this.tls = Optional.of(tls);
            return this;
        }

        public Builder protocol(UpstreamProtocol protocol) {
            this.protocol = requireNonNull(protocol, "protocol");
            return this;
        }

        public Builder http2(UpstreamHttp2Config http2) {
            this.http2 = Optional.of(http2);
            return this;
        }

        /** Endpoints that are the addresses of a DNS name, instead of listed. */
        public Builder dns(DnsDiscoveryConfig dns) {
            this.dns = Optional.of(dns);
            return this;
        }

        public Builder locality(LocalityConfig locality) {
            this.locality = requireNonNull(locality, "locality");
            return this;
        }

        public Builder headers(HeadersConfig headers) {
            this.headers = requireNonNull(headers, "headers");
            return this;
        }

        /** The cluster, checked as the canonical constructor checks it. */
        public ClusterConfig build() {
            return new ClusterConfig(name, endpoints, balancer, pool, timeouts, outlierDetection, healthCheck,
                    circuitBreaker, etcdPrefix, tls, protocol,
                    http2.orElseGet(() -> UpstreamHttp2Config.defaults(pool.maxStreamsPerConnection())), dns,
                    locality, headers);
        }
    }
}
