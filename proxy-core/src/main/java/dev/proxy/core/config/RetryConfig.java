package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Set;

/**
 * When and how a route repeats a failed attempt.
 *
 * @param attempts the most attempts per request, the first included (1 = no retries)
 * @param on the failure kinds that are retried
 * @param statuses further upstream statuses that are retried (e.g. 429, 500)
 * @param backoffBase the first retry waits a random time up to this ("full jitter"); each further one up to double
 * @param backoffMax the longest wait before a retry
 * @param retryAfterMax a {@code Retry-After} up to this long is waited for before retrying; a longer one ends the
 *     request with the upstream's answer
 * @param budgetPercent retries may add at most this percentage to the route's requests ...
 * @param budgetMinRetriesPerSecond ... plus this many retries per second, so low traffic can still retry
 * @param bufferBodyUpTo request bodies up to this many bytes are kept to be sent again; a request whose body grew
 *     past it is not retried once its body has been sent
 */
public record RetryConfig(int attempts, Set<RetryOn> on, Set<Integer> statuses, Duration backoffBase,
                          Duration backoffMax, Duration retryAfterMax, int budgetPercent,
                          double budgetMinRetriesPerSecond, long bufferBodyUpTo) {
    public RetryConfig {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be >= 1: " + attempts);
        }
        on = Set.copyOf(on);
        statuses = Set.copyOf(statuses);
        requireNonNull(backoffBase, "backoffBase");
        requireNonNull(backoffMax, "backoffMax");
        requireNonNull(retryAfterMax, "retryAfterMax");
    }
}
