package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * A cluster's load-balancing settings.
 *
 * @param hashOn what the hashing policies hash; requests without it are spread round robin
 * @param virtualNodes ring_hash: points on the ring per endpoint at weight 1 (an endpoint of weight w gets w times as
 *     many)
 * @param tableSize maglev: entries of the lookup table, a prime well above the number of endpoints
 */
public record BalancerConfig(BalancerPolicy policy, Optional<HashKey> hashOn, int virtualNodes, int tableSize) {
    public static final int DEFAULT_VIRTUAL_NODES = 160;
    public static final int DEFAULT_TABLE_SIZE = 65_537;
    public static final BalancerConfig ROUND_ROBIN =
            new BalancerConfig(BalancerPolicy.ROUND_ROBIN, Optional.empty(), DEFAULT_VIRTUAL_NODES, DEFAULT_TABLE_SIZE);

    public BalancerConfig {
        requireNonNull(policy, "policy");
        requireNonNull(hashOn, "hashOn");
        if (virtualNodes < 1) {
            throw new IllegalArgumentException("virtualNodes must be >= 1");
        }
        if (tableSize < 1) {
            throw new IllegalArgumentException("tableSize must be >= 1");
        }
    }

    /** The same settings with another policy. */
    public static BalancerConfig of(BalancerPolicy policy) {
        return new BalancerConfig(policy, Optional.empty(), DEFAULT_VIRTUAL_NODES, DEFAULT_TABLE_SIZE);
    }
}
