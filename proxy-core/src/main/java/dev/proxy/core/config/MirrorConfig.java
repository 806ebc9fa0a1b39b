package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

/**
 * A copy of a share of a route's requests sent to another cluster; its answers are dropped.
 *
 * @param cluster the shadow cluster
 * @param percent the share of requests copied
 * @param maxBodySize a request whose body grows past this is not (further) mirrored
 */
public record MirrorConfig(String cluster, double percent, long maxBodySize) {
    public MirrorConfig {
        requireNonNull(cluster, "cluster");
    }
}
