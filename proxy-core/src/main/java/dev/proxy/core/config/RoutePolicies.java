package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * What a route does beyond forwarding: the resilience filters of its request path, and mirroring.
 *
 * @param perTryTimeout each attempt's limit from its start to the upstream's response head; {@link Duration#ZERO}
 *     means only the cluster's responseHeader timeout applies
 * @param deadlineHeader when present, each attempt tells the upstream the milliseconds left of the route's
 *     deadline in this header (lower case)
 */
public record RoutePolicies(Duration perTryTimeout, Optional<String> deadlineHeader, Optional<RetryConfig> retry,
                            Optional<RateLimitConfig> rateLimit, Optional<ConcurrencyLimitConfig> concurrencyLimit,
                            Optional<FaultConfig> fault, Optional<MirrorConfig> mirror) {
    /** Plain forwarding: no per-try timeout, no retries, no limits, no faults, no mirror. */
    public static final RoutePolicies NONE = new RoutePolicies(Duration.ZERO, Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    public RoutePolicies {
        requireNonNull(perTryTimeout, "perTryTimeout");
        requireNonNull(deadlineHeader, "deadlineHeader");
        requireNonNull(retry, "retry");
        requireNonNull(rateLimit, "rateLimit");
        requireNonNull(concurrencyLimit, "concurrencyLimit");
        requireNonNull(fault, "fault");
        requireNonNull(mirror, "mirror");
    }
}
