package dev.proxy.core.config;

import java.util.Arrays;
import java.util.Optional;

/** How a cluster spreads requests over its endpoints; the names are the ones the config file uses. */
public enum BalancerPolicy {
    ROUND_ROBIN("round_robin"),
    RANDOM("random");

    private final String configName;

    BalancerPolicy(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    static Optional<BalancerPolicy> fromConfigName(String name) {
        return Arrays.stream(values()).filter(p -> p.configName.equals(name)).findFirst();
    }

    static String allNames() {
        return String.join(", ", Arrays.stream(values()).map(BalancerPolicy::configName).toList());
    }
}
