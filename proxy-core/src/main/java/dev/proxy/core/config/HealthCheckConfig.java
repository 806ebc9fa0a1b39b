package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Set;

/**
 * Active health checks: each endpoint is asked for {@code path} every {@code interval} on a connection of its own.
 *
 * @param healthyThreshold passed checks in a row that bring an unhealthy endpoint back
 * @param unhealthyThreshold failed checks in a row that take a healthy endpoint out
 * @param expectStatus the statuses that pass
 */
public record HealthCheckConfig(String path, Duration interval, Duration timeout, int healthyThreshold,
                                int unhealthyThreshold, Set<Integer> expectStatus) {
    public HealthCheckConfig {
        requireNonNull(path, "path");
        requireNonNull(interval, "interval");
        requireNonNull(timeout, "timeout");
        expectStatus = Set.copyOf(expectStatus);
        if (healthyThreshold < 1 || unhealthyThreshold < 1 || expectStatus.isEmpty()) {
            throw new IllegalArgumentException("thresholds must be >= 1 and expectStatus not empty");
        }
    }
}
