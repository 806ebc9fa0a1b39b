package dev.proxy.core.upstream;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Learns how long one endpoint keeps an idle keep-alive connection open when it does not say so in a
 * {@code Keep-Alive: timeout} header (Node, Go and Python servers, most app servers): each time the upstream closes a
 * connection that sat idle in the pool, the idle time it had reached is an upper bound of the upstream's timeout, and
 * the shortest such time is kept. Connections are then reused only while idle for less than a safety fraction of it
 * ({@link #reuseLimitNanos}), and a request that must not be sent twice only on one idle for less than a smaller
 * fraction ({@link #nonIdempotentLimitNanos}), so no request is written onto a connection the upstream is about to
 * close.
 *
 * <p>What was learned relaxes slowly while nothing confirms it (it grows by its own value every
 * {@link #RELAX_PERIOD_NANOS}): a connection retired early is never closed by the upstream, so without relaxing, an
 * upstream whose timeout was raised would never be relearned. Once the relaxed limit passes the upstream's real
 * timeout, the next idle close in the pool sets it back.
 *
 * <p>Thread-safe and lock-free: shared by the endpoint's loop pools, which all read it and observe with a
 * compare-and-set of one immutable value (an observation is rare: one per connection at most). Time comes from the
 * injected clock, so tests drive it.
 */
public final class IdleTimeoutLearner {
    /** Connections are reused while idle for less than this fraction of the learned timeout. */
    static final double REUSE_FRACTION = 0.75;
    /** A request that must not be sent twice takes a connection idle for less than this fraction only. */
    static final double NON_IDEMPOTENT_FRACTION = 0.5;
    /**
     * Closes after a shorter idle time are taken as this: a close right after a response (an upstream restarting) is
     * not an idle timeout, and must not stop reuse altogether.
     */
    static final long FLOOR_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Without a new observation the learned value grows by itself over this period (linearly). */
    static final long RELAX_PERIOD_NANOS = TimeUnit.MINUTES.toNanos(10);

    /** What was learned, and when; {@link #NOTHING} until the first observation. */
    private record Learned(long nanos, long atNanos) {
    }

    private static final Learned NOTHING = new Learned(0, 0);

    private final LongSupplier nanoClock;
    private final boolean enabled;
    private final AtomicReference<Learned> learned = new AtomicReference<>(NOTHING);

    /**
     * @param enabled false: {@link #observeIdleClose} records nothing and the limits stay unbounded (the
     *     {@code pool.learnIdleTimeout: false} switch)
     */
    public IdleTimeoutLearner(LongSupplier nanoClock, boolean enabled) {
        this.nanoClock = nanoClock;
        this.enabled = enabled;
    }

    /** The upstream closed a connection that had been idle in the pool for {@code idleNanos}. */
    public void observeIdleClose(long idleNanos) {
        if (!enabled) {
            return;
        }
        long observed = Math.max(FLOOR_NANOS, idleNanos);
        long now = nanoClock.getAsLong();
        Learned before;
        do {
            before = learned.get();
            long current = relaxed(before, now);
            if (current != 0 && observed >= current) {
                return;
            }
        } while (!learned.compareAndSet(before, new Learned(observed, now)));
    }

    /** The learned idle timeout as of now, relaxed for the time since it was learned; 0 while nothing is learned. */
    public long learnedNanos() {
        return relaxed(learned.get(), nanoClock.getAsLong());
    }

    private static long relaxed(Learned l, long now) {
        if (l.nanos() == 0) {
            return 0;
        }
        long elapsed = Math.max(0, now - l.atNanos());
        // learned × (1 + elapsed / period), saturating: after a long quiet time the limit simply stops binding
        double relaxed = l.nanos() * (1 + (double) elapsed / RELAX_PERIOD_NANOS);
        return relaxed >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) relaxed;
    }

    /** How long a connection may have been idle to be reused: {@link Long#MAX_VALUE} while nothing is learned. */
    public long reuseLimitNanos() {
        long learned = learnedNanos();
        return learned == 0 ? Long.MAX_VALUE : (long) (learned * REUSE_FRACTION);
    }

    /** Like {@link #reuseLimitNanos} for a request that must not be sent twice: a wider margin. */
    public long nonIdempotentLimitNanos() {
        long learned = learnedNanos();
        return learned == 0 ? Long.MAX_VALUE : (long) (learned * NON_IDEMPOTENT_FRACTION);
    }
}
