package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

/**
 * Where a fleet of replicas reads its shared config: one etcd key, {@code <prefix>/config}, holding the
 * {@code discovery}, {@code clusters} and {@code routes} of the routes file as one YAML document
 * ({@link FleetDocument}). The rest ({@code server}, {@code observability}, {@code redis}) stays in each replica's
 * local file. Immutable.
 *
 * @param etcd how the replica reaches etcd; its {@code snapshotFile} is where the last good fleet document is
 *     cached, so that a replica started while etcd is unreachable serves it
 * @param prefix the key prefix, without a trailing slash, e.g. {@code /proxy/fleet}
 */
public record ConfigSourceConfig(EtcdConfig etcd, String prefix) {
    /** The key under the prefix that holds the whole document. */
    public static final String DOCUMENT_KEY = "config";

    public ConfigSourceConfig {
        requireNonNull(etcd, "etcd");
        requireNonNull(prefix, "prefix");
        if (!prefix.startsWith("/") || prefix.endsWith("/")) {
            throw new IllegalArgumentException("prefix must start with / and not end with /: " + prefix);
        }
    }

    /** The etcd key of the fleet document: {@code <prefix>/config}. */
    public String key() {
        return prefix + "/" + DOCUMENT_KEY;
    }
}
