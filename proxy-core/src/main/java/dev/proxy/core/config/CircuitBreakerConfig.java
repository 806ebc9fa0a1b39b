package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Set;

/**
 * Stops sending to a cluster (or one endpoint) that keeps failing, and probes it before trusting it again.
 * Connect failures, resets, timeouts and the {@code failureStatuses} count as failures.
 *
 * @param failureRateThreshold percent of failed calls in the window that opens the breaker
 * @param slowCallDurationThreshold a call whose response head takes longer than this is slow
 * @param slowCallRateThreshold percent of slow calls in the window that opens the breaker
 * @param minimumNumberOfCalls calls in the window before any rate is judged
 * @param slidingWindow the window of recent calls the rates are taken over
 * @param waitInOpen how long an open breaker rejects before letting probes through
 * @param halfOpenCalls probe calls let through; all of them decide between closed and open again
 * @param perEndpoint one breaker per endpoint instead of one per cluster
 * @param failureStatuses upstream statuses that count as failures
 * @param retryAfterMax a 429 or 503 with {@code Retry-After} keeps an open breaker open that long, up to this
 */
public record CircuitBreakerConfig(int failureRateThreshold, Duration slowCallDurationThreshold,
                                   int slowCallRateThreshold, int minimumNumberOfCalls, Duration slidingWindow,
                                   Duration waitInOpen, int halfOpenCalls, boolean perEndpoint,
                                   Set<Integer> failureStatuses, Duration retryAfterMax) {
    public CircuitBreakerConfig {
        requireNonNull(slowCallDurationThreshold, "slowCallDurationThreshold");
        requireNonNull(slidingWindow, "slidingWindow");
        requireNonNull(waitInOpen, "waitInOpen");
        failureStatuses = Set.copyOf(failureStatuses);
        requireNonNull(retryAfterMax, "retryAfterMax");
    }
}
