package dev.proxy.core.discovery;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
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
 * @param failures lookups that failed and left the last known set serving (DNS resolutions; etcd counts none here,
 *     its outages show in {@code connected})
 * @param onFallback the endpoints served come from the fallback etcd, as the primary has been unreachable for its
 *     {@code failoverAfter}
 */
public record DiscoveryStatus(boolean synced, boolean connected, Optional<Instant> lastUpdate, long updatesApplied,
                              long decodeErrors, Map<String, Integer> endpoints, long failures, boolean onFallback) {
    public DiscoveryStatus {
        endpoints = Map.copyOf(endpoints);
    }

    /** A status of a source without a fallback. */
    public DiscoveryStatus(boolean synced, boolean connected, Optional<Instant> lastUpdate, long updatesApplied,
                           long decodeErrors, Map<String, Integer> endpoints, long failures) {
        this(synced, connected, lastUpdate, updatesApplied, decodeErrors, endpoints, failures, false);
    }

    /** A status without failed lookups. */
    public DiscoveryStatus(boolean synced, boolean connected, Optional<Instant> lastUpdate, long updatesApplied,
                           long decodeErrors, Map<String, Integer> endpoints) {
        this(synced, connected, lastUpdate, updatesApplied, decodeErrors, endpoints, 0);
    }

    /** The status of several sources together: synced and connected when every one is. */
    public static DiscoveryStatus combine(List<DiscoveryStatus> statuses) {
        boolean synced = true;
        boolean connected = true;
        Optional<Instant> last = Optional.empty();
        long updates = 0;
        long decodeErrors = 0;
        long failures = 0;
        boolean onFallback = false;
        Map<String, Integer> endpoints = new HashMap<>();
        for (DiscoveryStatus s : statuses) {
            synced &= s.synced;
            connected &= s.connected;
            if (s.lastUpdate.isPresent() && (last.isEmpty() || s.lastUpdate.get().isAfter(last.get()))) {
                last = s.lastUpdate;
            }
            updates += s.updatesApplied;
            decodeErrors += s.decodeErrors;
            failures += s.failures;
            onFallback |= s.onFallback;
            endpoints.putAll(s.endpoints);
        }
        return new DiscoveryStatus(synced, connected, last, updates, decodeErrors, endpoints, failures, onFallback);
    }

    /** Known endpoints are serving but may be out of date, as the source cannot be reached. */
    public boolean stale() {
        return synced && !connected;
    }
}
