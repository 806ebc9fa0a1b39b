package dev.proxy.core.config;

/**
 * A cluster's zone-aware balancing, as Envoy's zone-aware routing with the proxy's zone as priority 0 and the other
 * zones as priority 1: requests go to the endpoints in the proxy's own zone ({@code server.zone}) while enough of them
 * are healthy, and spill to the other zones, in proportion to their healthy weight, as the local healthy share drops.
 *
 * @param enabled off: the cluster's policy picks among all endpoints, zones ignored
 * @param minLocalHealthyPercent the local zone takes every request while at least this share of its endpoints is
 *     healthy; below it, it takes (healthy share / this) of them and the rest spills. 70 is about Envoy's
 *     overprovisioning factor of 1.4; 100 spills as soon as one local endpoint is unhealthy; 0 keeps everything local
 *     while any local endpoint is healthy
 */
public record LocalityConfig(boolean enabled, int minLocalHealthyPercent) {
    public static final int DEFAULT_MIN_LOCAL_HEALTHY_PERCENT = 70;
    public static final LocalityConfig DISABLED = new LocalityConfig(false, DEFAULT_MIN_LOCAL_HEALTHY_PERCENT);

    public LocalityConfig {
        if (minLocalHealthyPercent < 0 || minLocalHealthyPercent > 100) {
            throw new IllegalArgumentException("minLocalHealthyPercent must be from 0 to 100, was "
                    + minLocalHealthyPercent);
        }
    }
}
