package dev.proxy.core.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The kinds of failed attempt a route's retry policy may repeat (besides the statuses it lists). */
public enum RetryOn {
    /** The connection to the upstream could not be made (refused, unreachable, connect timeout). */
    CONNECT_FAILURE,
    /** The upstream closed or reset the connection before a response head arrived. */
    RESET,
    /** No response head within the cluster's responseHeader timeout or the route's perTryTimeout. */
    TIMEOUT,
    /** The upstream answered 502, 503 or 504. */
    GATEWAY_ERROR;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<RetryOn> fromConfigName(String name) {
        return Arrays.stream(values()).filter(r -> r.configName().equals(name)).findFirst();
    }

    public static String allNames() {
        return Arrays.stream(values()).map(RetryOn::configName).collect(Collectors.joining(", "));
    }
}
