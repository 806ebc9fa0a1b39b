package dev.proxy.resilience.ratelimit;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * One resilience4j {@link AtomicRateLimiter} that no two threads ever enter at once, so that it can never park an
 * event loop.
 *
 * <p>Why the guard: {@code AtomicRateLimiter} keeps its state in one {@code AtomicReference}, and when its
 * compare-and-set loses a race it backs off with {@code LockSupport.parkNanos(1)} (resilience4j 2.4.0,
 * {@code AtomicRateLimiter.compareAndSet}): tens of microseconds asleep on an event loop, exactly when traffic is
 * highest. Its only other park is in {@code waitForPermission}, which {@code reservePermission} never calls. So the
 * limiter parks only if two threads update its state at once. Here every update runs inside {@link #reserve}, which
 * holds an {@link AtomicBoolean} taken with one compare-and-set that never waits: the thread inside is the only
 * writer, its compare-and-set always succeeds, and the park is never reached. A thread that finds the guard taken
 * does not wait for it: it tries a few more times (the holder is inside a few dozen instructions) and then reports
 * {@link #BUSY}, and its caller asks again on the next turn of its event loop.
 *
 * <p>Reads for the response headers ({@link #nanosToWait}) compute from the current state without writing it, so
 * they need no guard.
 *
 * <p>Thread-safe and non-blocking; called from every event loop.
 */
final class GuardedLimiter {
    /** What {@link #reserve} returns when another thread held the limiter throughout. */
    static final long BUSY = Long.MIN_VALUE;
    /** What {@link #reserve} returns when the request cannot be admitted within the queueing time. */
    static final long REJECTED = -1;
    /**
     * Tries to take the guard before giving up for this turn of the event loop. The holder keeps it for well under a
     * microsecond unless the operating system deschedules it, and then spinning longer would not help.
     */
    private static final int TRIES = 8;

    private final AtomicRateLimiter limiter;
    /** Taken by the one thread inside the limiter; package-private so tests can hold it. */
    final AtomicBoolean busy = new AtomicBoolean();

    /**
     * @param config the limiter's period, permits per period and queueing time ({@code timeoutDuration})
     * @param nanoClock a monotonic nanosecond clock; the limiter counts its periods from now
     */
    GuardedLimiter(String name, RateLimiterConfig config, LongSupplier nanoClock) {
        this.limiter = new AtomicRateLimiter(name, config, nanoClock::getAsLong);
    }

    /**
     * Reserves one permit: 0 when it is there now, the nanoseconds to wait for it when that is within the queueing
     * time (the permit is then taken: the caller must let the request go on after that wait), {@link #REJECTED} when
     * it is not, and {@link #BUSY} when the guard could not be taken (nothing was reserved).
     */
    long reserve() {
        for (int i = 0; i < TRIES; i++) {
            if (!busy.get() && busy.compareAndSet(false, true)) {
                try {
                    // never waits: reservePermission computes, swaps the state (uncontended here) and returns
                    return limiter.reservePermission();
                } finally {
                    busy.set(false);
                }
            }
            Thread.onSpinWait();
        }
        return BUSY;
    }

    /** Nanoseconds until one permit is free again (0 when one is free now); reads without writing. */
    long nanosToWait() {
        return Math.max(0, limiter.getDetailedMetrics().getNanosToWait());
    }

    /** Permits left in the current period (negative while queued requests hold future ones); reads only. */
    int available() {
        return limiter.getDetailedMetrics().getAvailablePermissions();
    }
}
