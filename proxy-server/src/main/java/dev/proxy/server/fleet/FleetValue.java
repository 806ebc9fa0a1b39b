package dev.proxy.server.fleet;

import static java.util.Objects.requireNonNull;

/**
 * One version of a fleet's shared document: its YAML text and the etcd revision that wrote it. Immutable.
 *
 * @param revision the key's {@code mod_revision} in etcd: names this version for {@code proxy config history} and
 *     {@code rollback}
 * @param origin where this replica got it
 */
public record FleetValue(String yaml, long revision, Origin origin) {
    /** Where a replica got a version. */
    public enum Origin {
        /** From etcd: a listing or a watch event. */
        ETCD,
        /** From the local cache file, because etcd could not be reached at start. */
        CACHE
    }

    public FleetValue {
        requireNonNull(yaml, "yaml");
        requireNonNull(origin, "origin");
    }

    /** For the log and the problems of a rejected version: {@code etcd /proxy/fleet/config@42}. */
    String describe(String key) {
        return (origin == Origin.ETCD ? "etcd " : "cache of etcd ") + key + "@" + revision;
    }
}
