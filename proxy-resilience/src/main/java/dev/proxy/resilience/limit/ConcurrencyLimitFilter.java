package dev.proxy.resilience.limit;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.ProxyError;
import dev.proxy.core.UpstreamOutcome;
import dev.proxy.core.config.ConcurrencyLimitConfig;
import dev.proxy.core.filter.RequestFilter;
import dev.proxy.core.filter.RequestInfo;
import dev.proxy.core.filter.Verdict;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Sheds requests above a cap on requests in flight with {@code 503 overloaded}, at once, never queueing them. The cap
 * is fixed, or adaptive ({@link GradientLimit}): it then follows the latency of the requests that end.
 *
 * <p>Thread-safe and lock-free: admission is one compare-and-set on the in-flight count, called from every event loop.
 * Allocation-free: the rejection is a shared constant.
 */
public final class ConcurrencyLimitFilter implements RequestFilter {
    private static final Verdict OVERLOADED = Verdict.reject(ProxyError.OVERLOADED);

    private final Limit limit;
    private final AtomicInteger inFlight = new AtomicInteger();

    ConcurrencyLimitFilter(Limit limit) {
        this.limit = requireNonNull(limit, "limit");
    }

    /** A fixed cap of {@code max} requests in flight. */
    public static ConcurrencyLimitFilter fixed(int max) {
        return new ConcurrencyLimitFilter(Limit.fixed(max));
    }

    /** The limit a route's {@code concurrencyLimit} describes; {@code nanoClock} times the adaptive limit's windows. */
    public static ConcurrencyLimitFilter of(ConcurrencyLimitConfig config, LongSupplier nanoClock) {
        requireNonNull(config, "config");
        return new ConcurrencyLimitFilter(config.adaptive()
                ? new GradientLimit(config.minLimit(), config.max(), config.initialLimit(), nanoClock)
                : Limit.fixed(config.max()));
    }

    @Override
    public Verdict onRequest(RequestInfo request) {
        for (;;) {
            int n = inFlight.get();
            if (n >= limit.current()) {
                return OVERLOADED;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                return Verdict.PASS;
            }
        }
    }

    @Override
    public void onEnd(RequestInfo request, int status, ProxyError error, long durationNanos) {
        int n = inFlight.getAndDecrement();
        if (error == null) {
            limit.onSample(durationNanos, n, false);
        } else if (UpstreamOutcome.of(error).isDrop()) {
            limit.onSample(durationNanos, n, true);
        }
        // other failures (refused, reset, client gone) end early for reasons latency does not explain: not sampled
    }

    /** Requests in flight that this filter let through. */
    public int inFlight() {
        return inFlight.get();
    }

    /** The current cap. */
    public int limit() {
        return limit.current();
    }

    @Override
    public String toString() {
        return "ConcurrencyLimitFilter[" + limit + ", in flight " + inFlight.get() + "]";
    }
}
