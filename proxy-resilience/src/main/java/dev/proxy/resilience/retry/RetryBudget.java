package dev.proxy.resilience.retry;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Caps a route's retries at {@code percent}% of its requests plus {@code minRetriesPerSecond} per second, so that
 * retries cannot multiply the load on an upstream that is already failing (a retry storm), while a quiet route can
 * still retry. Since creation, the retries granted never exceed
 * {@code percent / 100 × requests + minRetriesPerSecond × seconds + max(1, minRetriesPerSecond)}, the last term being
 * the reserve's burst.
 *
 * <p>Two sources, tried in order:
 * <ul>
 *   <li>Credit: each request adds {@code percent}% of a retry to a balance and each retry takes a whole one. The
 *       balance is capped at {@code max(10, percent)} retries, so credit saved during a calm hour cannot fund a storm
 *       later.
 *   <li>Reserve: {@code minRetriesPerSecond}, paced by GCRA (a "next free" time pushed forward by one interval per
 *       retry), with at most one second's worth available at once.
 * </ul>
 *
 * <p>Thread-safe and lock-free: each source is one {@link AtomicLong} updated by compare-and-set. The clock is
 * injected so tests drive time.
 */
public final class RetryBudget {
    /** One retry in micro-retries: fine enough that 1% of a request still adds up exactly. */
    private static final long RETRY = 1_000_000;
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final long creditPerRequest;
    private final long maxCredit;
    private final AtomicLong credit = new AtomicLong();

    private final LongSupplier nanoClock;
    /** Nanoseconds between reserve retries; 0 when there is no reserve. */
    private final long reserveInterval;
    /** How far the next free time may run ahead of now: the reserve's burst, one second's worth. */
    private final long reserveTolerance;
    private final AtomicLong nextFree;

    /**
     * @param percent retries allowed per hundred requests, 0 for none beyond the reserve
     * @param minRetriesPerSecond the reserve's rate, 0 for no reserve
     */
    public RetryBudget(int percent, double minRetriesPerSecond, LongSupplier nanoClock) {
        if (percent < 0 || !(minRetriesPerSecond >= 0)) {
            throw new IllegalArgumentException("out of range: percent " + percent + ", min " + minRetriesPerSecond);
        }
        this.creditPerRequest = percent * (RETRY / 100);
        this.maxCredit = Math.max(10, percent) * RETRY;
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.reserveInterval = minRetriesPerSecond > 0 ? Math.max(1, (long) (SECOND / minRetriesPerSecond)) : 0;
        this.reserveTolerance = Math.max(0, SECOND - reserveInterval);
        this.nextFree = new AtomicLong(nanoClock.getAsLong());
    }

    /** Counts one request of the route. */
    public void onRequest() {
        if (creditPerRequest == 0) {
            return;
        }
        for (;;) {
            long c = credit.get();
            if (c >= maxCredit) {
                return;
            }
            if (credit.compareAndSet(c, Math.min(maxCredit, c + creditPerRequest))) {
                return;
            }
        }
    }

    /** Takes one retry; false when both the credit and the reserve are spent. */
    public boolean tryAcquire() {
        for (;;) {
            long c = credit.get();
            if (c < RETRY) {
                break;
            }
            if (credit.compareAndSet(c, c - RETRY)) {
                return true;
            }
        }
        return reserveInterval > 0 && tryReserve();
    }

    private boolean tryReserve() {
        long now = nanoClock.getAsLong();
        for (;;) {
            long next = nextFree.get();
            if (next - now > reserveTolerance) {
                return false;
            }
            long start = next - now > 0 ? next : now;
            if (nextFree.compareAndSet(next, start + reserveInterval)) {
                return true;
            }
        }
    }

    /** Retries the saved credit would grant now (whole ones), for metrics. */
    public long savedRetries() {
        return credit.get() / RETRY;
    }
}
