package dev.proxy.resilience.retry;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.ProxyError;
import dev.proxy.core.UpstreamOutcome;
import dev.proxy.core.config.RetryConfig;
import dev.proxy.core.config.RetryOn;
import dev.proxy.core.filter.RetryPolicy;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * A route's {@code retry} section as the engine's {@link RetryPolicy}: which failures and statuses are retried, how
 * long to back off, and the {@link RetryBudget} that keeps retries from multiplying an outage.
 *
 * <p>Failures map to the config's kinds as follows. {@code connect_failure}: the connection could not be made
 * (refused, connect timeout), and also the attempts that failed before any connection was tried (pool exhausted or
 * acquire timeout, breaker open, no endpoint), since none of them reached the upstream. {@code reset}: the upstream
 * closed the connection before a response head. {@code timeout}: no response head in time (response-header or
 * per-try timeout), or the leased connection went idle. {@code gateway_error}: the statuses 502, 503 and 504.
 *
 * <p>Backoff is "full jitter" (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015): retry {@code n} waits
 * a uniformly random time in {@code [0, min(backoffMax, backoffBase × 2^(n-1))]}, which spreads the retries of many
 * clients failing at once.
 *
 * <p>Immutable apart from the budget; thread-safe and lock-free; the random source is injected for tests.
 */
public final class RouteRetryPolicy implements RetryPolicy {
    private final int maxAttempts;
    private final long bufferBodyUpTo;
    private final Set<ProxyError> retriedFailures;
    private final boolean[] retriedStatus = new boolean[600];
    private final long backoffBaseNanos;
    private final long backoffMaxNanos;
    private final long retryAfterMaxNanos;
    private final RetryBudget budget;
    private final DoubleSupplier random;

    /**
     * @param nanoClock paces the budget's reserve
     * @param random returns a uniformly random double in {@code [0, 1)}; called from every event loop at once
     */
    public RouteRetryPolicy(RetryConfig config, LongSupplier nanoClock, DoubleSupplier random) {
        requireNonNull(config, "config");
        this.random = requireNonNull(random, "random");
        this.maxAttempts = config.attempts();
        this.bufferBodyUpTo = config.bufferBodyUpTo();
        this.retriedFailures = failuresRetriedOn(config.on());
        for (int status = 0; status < retriedStatus.length; status++) {
            retriedStatus[status] = config.on().contains(RetryOn.GATEWAY_ERROR)
                    && UpstreamOutcome.ofStatus(status) == UpstreamOutcome.GATEWAY_ERROR;
        }
        for (int status : config.statuses()) {
            if (status >= 0 && status < retriedStatus.length) {
                retriedStatus[status] = true;
            }
        }
        this.backoffBaseNanos = config.backoffBase().toNanos();
        this.backoffMaxNanos = Math.max(backoffBaseNanos, config.backoffMax().toNanos());
        this.retryAfterMaxNanos = config.retryAfterMax().toNanos();
        this.budget = new RetryBudget(config.budgetPercent(), config.budgetMinRetriesPerSecond(), nanoClock);
    }

    /** The failures retried under {@code on}: each error names the kind it is ({@link ProxyError#retriedAs}). */
    static Set<ProxyError> failuresRetriedOn(Set<RetryOn> on) {
        Set<ProxyError> failures = EnumSet.noneOf(ProxyError.class);
        for (ProxyError error : ProxyError.values()) {
            if (error.retriedAs() != null && on.contains(error.retriedAs())) {
                failures.add(error);
            }
        }
        return failures;
    }

    @Override
    public int maxAttempts() {
        return maxAttempts;
    }

    @Override
    public long bufferBodyUpTo() {
        return bufferBodyUpTo;
    }

    @Override
    public boolean retriesOn(ProxyError failure) {
        return failure != null && retriedFailures.contains(failure);
    }

    @Override
    public boolean retriesOnStatus(int status) {
        return status >= 0 && status < retriedStatus.length && retriedStatus[status];
    }

    @Override
    public void onRequest() {
        budget.onRequest();
    }

    @Override
    public boolean tryAcquireRetry() {
        return budget.tryAcquire();
    }

    @Override
    public long backoffNanos(int retry) {
        long ceiling = backoffCeiling(Math.max(1, retry));
        long wait = (long) (random.getAsDouble() * (ceiling + 1.0));
        return Math.min(ceiling, Math.max(0, wait));
    }

    /** {@code min(backoffMax, backoffBase × 2^(retry-1))} without overflowing. */
    long backoffCeiling(int retry) {
        int doublings = retry - 1;
        if (doublings >= 62 || backoffBaseNanos > (backoffMaxNanos >> doublings)) {
            return backoffMaxNanos;
        }
        return Math.min(backoffMaxNanos, backoffBaseNanos << doublings);
    }

    @Override
    public long retryAfterMaxNanos() {
        return retryAfterMaxNanos;
    }

    /** The route's retry budget, for metrics. */
    public RetryBudget budget() {
        return budget;
    }

    @Override
    public String toString() {
        return "RouteRetryPolicy[" + maxAttempts + " attempts, on " + retriedFailures + "]";
    }
}
