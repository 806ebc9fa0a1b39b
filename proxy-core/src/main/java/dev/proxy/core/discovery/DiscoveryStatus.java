package dev.proxy.core.discovery;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What a discovery source can say about itself, for readiness and metrics. Immutable.
 *
 * @param synced every cluster has had its endpoint set at least once (from the source or from the snapshot file)
 * @param connected the source is reachable now; when false and {@code synced}, the last known endpoints keep serving
 *     ("stale")
 * @param lastUpdate when an endpoint set was last applied, if ever
 * @param updatesApplied endpoint sets applied since start
 * @param decodeErrors values that could not be read and were skipped
 * @param endpoints the number of endpoints per discovered cluster
 */
public record DiscoveryStatus(boolean synced, boolean connected, Optional<Instant> lastUpdate, long updatesApplied,
                              long decodeErrors, Map<String, Integer> endpoints) {
    public DiscoveryStatus {
        endpoints = Map.copyOf(endpoints);
    }

    /** Known endpoints are serving but may be out of date, as the source cannot be reached. */
    public boolean stale() {
        return synced && !connected;
    }
}
