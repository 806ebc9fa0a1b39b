package dev.proxy.resilience.ratelimit;

import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code permits} permits per period, refilled as one batch at the start of each period, periods counted from the
 * bucket's creation; unused permits do not carry over. The same contract as resilience4j's {@code AtomicRateLimiter}
 * with a zero timeout.
 *
 * <p>Written here rather than using {@code AtomicRateLimiter} (resilience4j 2.4.0) because that one, when its
 * compare-and-set loses a race, backs off with {@code LockSupport.parkNanos(1)}: a sleep of tens of microseconds on
 * an event loop, exactly when traffic is highest. It also allocates a state object per request and weighs several
 * hundred bytes, which matters with one bucket per client key. Here the whole state is one {@link AtomicLong}, and a
 * lost race simply retries.
 *
 * <p>Thread-safe, lock-free and allocation-free. Time is passed in, so tests drive it.
 */
final class PermitBucket {
    private final long start;
    private final long periodNanos;
    private final int permits;
    /**
     * Permits taken since creation, where a past period counts as fully taken: period {@code p} owns the range
     * {@code [p * permits, (p + 1) * permits)}. One number thus holds both the period and the permits left in it.
     * It cannot overflow in practice: it grows at most by the configured rate per second.
     */
    private final AtomicLong taken = new AtomicLong();

    PermitBucket(long nowNanos, long periodNanos, int permits) {
        if (periodNanos < 1 || permits < 1) {
            throw new IllegalArgumentException("out of range: period " + periodNanos + "ns, permits " + permits);
        }
        this.start = nowNanos;
        this.periodNanos = periodNanos;
        this.permits = permits;
    }

    /** Takes a permit if the current period has one left. */
    boolean tryAcquire(long nowNanos) {
        long floor = period(nowNanos) * permits;
        for (;;) {
            long t = taken.get();
            long used = Math.max(t, floor);
            if (used - floor >= permits) {
                return false;
            }
            if (taken.compareAndSet(t, used + 1)) {
                return true;
            }
        }
    }

    /** Permits left in the current period. */
    int available(long nowNanos) {
        long floor = period(nowNanos) * permits;
        return (int) (permits - (Math.max(taken.get(), floor) - floor));
    }

    /** Time until the next period starts and the bucket is full again. */
    long nanosToRefill(long nowNanos) {
        return periodNanos - Math.max(0, nowNanos - start) % periodNanos;
    }

    private long period(long nowNanos) {
        return Math.max(0, nowNanos - start) / periodNanos;
    }
}
