package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Passive health: endpoints that keep failing are taken out of rotation for a while.
 *
 * @param consecutiveGatewayFailures failures in a row (connect errors, resets, timeouts, 502/503/504) that eject
 * @param baseEjectionTime how long the first ejection lasts; each ejection soon after the last one lasts longer
 * @param maxEjectionTime the longest an ejection lasts
 * @param maxEjectionPercent at most this share of the cluster's endpoints is ejected at once
 * @param panicThreshold when fewer than this percent of endpoints are available, ejections are ignored and requests
 *     spread over all endpoints (better some errors than none served)
 */
public record OutlierDetectionConfig(int consecutiveGatewayFailures, Duration baseEjectionTime,
                                     Duration maxEjectionTime, int maxEjectionPercent, int panicThreshold) {
    /** Outlier detection switched off: nothing is ever ejected (the panic threshold still guards health checks). */
    public static final OutlierDetectionConfig DISABLED =
            new OutlierDetectionConfig(0, Duration.ofSeconds(30), Duration.ofSeconds(300), 0, 50);

    public OutlierDetectionConfig {
        requireNonNull(baseEjectionTime, "baseEjectionTime");
        requireNonNull(maxEjectionTime, "maxEjectionTime");
        if (consecutiveGatewayFailures < 0 || maxEjectionPercent < 0 || maxEjectionPercent > 100
                || panicThreshold < 0 || panicThreshold > 100) {
            throw new IllegalArgumentException("out of range: " + consecutiveGatewayFailures + ", "
                    + maxEjectionPercent + ", " + panicThreshold);
        }
    }

    /** False for {@link #DISABLED}: no failure count ejects. */
    public boolean enabled() {
        return consecutiveGatewayFailures > 0 && maxEjectionPercent > 0;
    }
}
