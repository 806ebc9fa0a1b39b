package dev.proxy.core.config;

import java.util.Arrays;
import java.util.Optional;

/** How a cluster spreads requests over its endpoints; the names are the ones the config file uses. */
public enum BalancerPolicy {
    ROUND_ROBIN("round_robin", false),
    WEIGHTED_ROUND_ROBIN("weighted_round_robin", false),
    LEAST_REQUEST("least_request", false),
    RANDOM("random", false),
    RING_HASH("ring_hash", true),
    MAGLEV("maglev", true);

    private final String configName;
    private final boolean hashing;

    BalancerPolicy(String configName, boolean hashing) {
        this.configName = configName;
        this.hashing = hashing;
    }

    public String configName() {
        return configName;
    }

    /** True for the consistent-hashing policies, which need {@code hashOn}. */
    public boolean isHashing() {
        return hashing;
    }

    static Optional<BalancerPolicy> fromConfigName(String name) {
        return Arrays.stream(values()).filter(p -> p.configName.equals(name)).findFirst();
    }

    static String allNames() {
        return String.join(", ", Arrays.stream(values()).map(BalancerPolicy::configName).toList());
    }
}
