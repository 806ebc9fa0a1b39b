package dev.proxy.core.balancer;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * How a zone-aware balancer spreads requests over zones now, for the admin API. Immutable.
 *
 * @param localZone the proxy's zone
 * @param localHealthyPercent the share of local endpoints that may get traffic, 0–100 (0 when there are none)
 * @param percentByZone the share of requests each zone gets now, 0–100, the local zone first
 * @param reason why the split is what it is, in words ({@code local zone healthy}, {@code spilling: ...})
 */
public record ZoneSplit(String localZone, double localHealthyPercent, Map<String, Double> percentByZone,
                        String reason) {
    public ZoneSplit {
        requireNonNull(localZone, "localZone");
        requireNonNull(percentByZone, "percentByZone");
        requireNonNull(reason, "reason");
    }
}
