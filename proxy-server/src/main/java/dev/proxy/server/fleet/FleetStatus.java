package dev.proxy.server.fleet;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * Where a replica of a fleet stands, for {@code /config} (as {@code configSource}), {@code /readyz} and the metrics.
 *
 * @param origin where the serving version came from: {@code etcd}, or {@code cache} until etcd answers
 * @param appliedRevision the etcd revision of the version serving
 * @param seenRevision the newest revision seen; above {@code appliedRevision} while that one is rejected
 * @param reachable false while etcd cannot be reached (the running config keeps serving)
 * @param rejectedRevision the revision last refused by validation, until a good one is applied
 */
public record FleetStatus(String key, List<URI> endpoints, FleetValue.Origin origin, long appliedRevision,
                          long seenRevision, boolean reachable, Optional<Long> rejectedRevision) {
    public FleetStatus {
        requireNonNull(key, "key");
        endpoints = List.copyOf(endpoints);
        requireNonNull(origin, "origin");
        requireNonNull(rejectedRevision, "rejectedRevision");
    }

    /** Why readiness is degraded, if it is: etcd away, or the cache serving. */
    public Optional<String> degradation() {
        if (!reachable) {
            return Optional.of("config source stale (etcd unreachable, serving revision " + appliedRevision
                    + (origin == FleetValue.Origin.CACHE ? " from the cache file" : "") + ")");
        }
        if (origin == FleetValue.Origin.CACHE) {
            return Optional.of("config source serving the cached revision " + appliedRevision
                    + rejectedRevision.map(r -> " (revision " + r + " in etcd is rejected)")
                    .orElse(" until etcd answers with a version"));
        }
        return Optional.empty();
    }
}
