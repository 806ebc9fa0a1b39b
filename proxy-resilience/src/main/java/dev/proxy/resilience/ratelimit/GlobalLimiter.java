package dev.proxy.resilience.ratelimit;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * One limit shared by a fleet: {@code limit} permits per period, counted in a {@link TokenSource} (Redis) that every
 * replica draws on. No request waits for Redis while this replica holds permits: it draws a share ({@code chunk}) of
 * the period's permits ahead of need, spends them locally, and draws the next share in the background when half of
 * the last one is spent. Only the first requests of a period, before its first share arrives, wait for a draw, and
 * never longer than the source's timeout. Shares expire with the period they were drawn from, on the source's clock
 * (converted to ours when the grant arrives), so a replica cannot carry permits into a later period beyond the
 * one-way latency of the answer.
 *
 * <p>Accuracy: the source never grants more than {@code limit} per period, so over any span of time the fleet admits
 * at most the configured rate plus the permits of the two periods the span cuts at its ends: at most
 * {@code rate × span + 2 × limit}. Permits drawn by a replica that then receives no requests are lost for that
 * period, so the fleet may admit less than the limit (at most {@code replicas × chunk} less per period).
 *
 * <p>Thread-safe and non-blocking: the event loops spend with one atomic decrement; grants arrive on the source's
 * thread. {@link #tryAcquire} never parks, waits or calls out synchronously.
 */
final class GlobalLimiter {
    /** What a request gets. */
    enum Decision {
        ADMIT,
        /** The fleet spent this period's permits. */
        REJECT,
        /** A draw is under way and this replica has no permit: ask again shortly. */
        WAIT,
        /** The source could not be asked; the limit's failure mode decides. */
        UNAVAILABLE
    }

    /** Permits drawn for one period. */
    private static final class Lease {
        static final Lease NONE = new Lease(Long.MIN_VALUE, 0, false);

        final long endNanos;
        final AtomicInteger left;
        /** The source had no more for this period: do not ask again before it ends. */
        volatile boolean exhausted;

        Lease(long endNanos, int permits, boolean exhausted) {
            this.endNanos = endNanos;
            this.left = new AtomicInteger(permits);
            this.exhausted = exhausted;
        }
    }

    private final TokenSource source;
    private final GlobalLimitHealth health;
    private final String key;
    private final int limit;
    private final long periodMillis;
    private final int chunk;
    private final LongSupplier nanoClock;
    private final AtomicBoolean drawing = new AtomicBoolean();
    private volatile Lease lease = Lease.NONE;

    /**
     * @param key the counter's name in the source, the same in every replica
     * @param chunk permits drawn at a time
     */
    GlobalLimiter(TokenSource source, GlobalLimitHealth health, String key, int limit, long periodMillis, int chunk,
                  LongSupplier nanoClock) {
        this.source = source;
        this.health = health;
        this.key = key;
        this.limit = limit;
        this.periodMillis = periodMillis;
        this.chunk = chunk;
        this.nanoClock = nanoClock;
    }

    Decision tryAcquire() {
        long now = nanoClock.getAsLong();
        Lease l = lease;
        if (now - l.endNanos < 0) {
            int before = l.left.get() > 0 ? l.left.getAndDecrement() : 0;
            if (before > 0) {
                if (before - 1 <= chunk / 2 && !l.exhausted) {
                    draw(now);
                }
                return Decision.ADMIT;
            }
            if (l.exhausted) {
                return Decision.REJECT;
            }
        }
        if (health.down(now)) {
            health.fellBack();
            return Decision.UNAVAILABLE;
        }
        draw(now);
        return Decision.WAIT;
    }

    /** Nanoseconds until the period of the last grant ends (at least 0). */
    long nanosToPeriodEnd() {
        return Math.max(0, lease.endNanos - nanoClock.getAsLong());
    }

    /** Starts a draw unless one is under way. */
    private void draw(long start) {
        if (!drawing.compareAndSet(false, true)) {
            return;
        }
        source.take(key, limit, periodMillis, chunk).whenComplete((grant, failure) -> {
            long now = nanoClock.getAsLong();
            if (failure != null) {
                health.failed(now - start, failure);
            } else {
                health.succeeded(now - start);
                granted(grant, now);
            }
            drawing.set(false);
        });
    }

    private void granted(TokenSource.Grant grant, long now) {
        long end = now + TimeUnit.MILLISECONDS.toNanos(grant.millisLeft());
        boolean exhausted = grant.permits() < chunk;
        Lease current = lease;
        // the same period when its end is within half a period of the new grant's
        long halfPeriod = TimeUnit.MILLISECONDS.toNanos(periodMillis) / 2;
        if (now - current.endNanos < 0 && Math.abs(current.endNanos - end) < halfPeriod) {
            // spent below zero by requests that found none: those were not admitted, so start from zero
            current.left.accumulateAndGet(grant.permits(), (left, add) -> Math.max(left, 0) + add);
            if (exhausted) {
                current.exhausted = true;
            }
        } else {
            lease = new Lease(end, grant.permits(), exhausted);
        }
    }
}
