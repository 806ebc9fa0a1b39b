package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * A named group of interchangeable upstream endpoints and how to talk to them.
 *
 * @param healthCheck active health checks; empty means none (every endpoint counts as healthy)
 */
public record ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerConfig balancer, PoolConfig pool,
                            ClusterTimeouts timeouts, OutlierDetectionConfig outlierDetection,
                            Optional<HealthCheckConfig> healthCheck) {
    public ClusterConfig {
        requireNonNull(name, "name");
        endpoints = List.copyOf(endpoints);
        requireNonNull(balancer, "balancer");
        requireNonNull(pool, "pool");
        requireNonNull(timeouts, "timeouts");
        requireNonNull(outlierDetection, "outlierDetection");
        requireNonNull(healthCheck, "healthCheck");
    }
}
