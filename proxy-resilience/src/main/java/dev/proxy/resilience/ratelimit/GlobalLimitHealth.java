package dev.proxy.resilience.ratelimit;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the shared store of the global rate limits is doing, for every limit that draws on it: whether it answered
 * lately, and counts for the meters (calls, their total latency, errors, and requests decided by a limit's
 * {@code failureMode} instead). After a failed call the store is "down" for {@link #RETRY_AFTER_NANOS}: limits decide
 * by their failure mode at once instead of waiting for it, then the next draw tries it again. The first failure of an
 * outage is logged as a warning, the recovery once; everything in between only counts.
 *
 * <p>Thread-safe: written from the store's thread, read from the event loops and the metrics scrape.
 */
public final class GlobalLimitHealth {
    /** How long a failed store is left alone before a draw tries it again. */
    static final long RETRY_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Logger log = LoggerFactory.getLogger(GlobalLimitHealth.class);

    private final LongSupplier nanoClock;
    private final LongAdder calls = new LongAdder();
    private final LongAdder latencyNanos = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder fallbacks = new LongAdder();
    private final AtomicBoolean failing = new AtomicBoolean();
    /** Compared by difference, as {@link System#nanoTime} values must be: starts as "now", so not down. */
    private volatile long downUntil;

    /** @param nanoClock a monotonic nanosecond clock, as {@link System#nanoTime} */
    public GlobalLimitHealth(LongSupplier nanoClock) {
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.downUntil = nanoClock.getAsLong();
    }

    void succeeded(long latency) {
        calls.increment();
        latencyNanos.add(latency);
        if (failing.compareAndSet(true, false)) {
            log.info("the rate limits' Redis answers again; global limits are counted there again");
        }
    }

    void failed(long latency, Throwable cause) {
        calls.increment();
        latencyNanos.add(latency);
        errors.increment();
        downUntil = nanoClock.getAsLong() + RETRY_AFTER_NANOS;
        if (failing.compareAndSet(false, true)) {
            log.warn("the rate limits' Redis did not answer ({}); global limits follow their failureMode until it "
                    + "does", cause.toString());
        }
    }

    void fellBack() {
        fallbacks.increment();
    }

    /** True while a failed store is being left alone. */
    boolean down(long now) {
        return now - downUntil < 0;
    }

    /** True from a failed call to the next that succeeds: readiness reports it as degraded. */
    public boolean degraded() {
        return failing.get();
    }

    public long calls() {
        return calls.sum();
    }

    public long latencyNanos() {
        return latencyNanos.sum();
    }

    public long errors() {
        return errors.sum();
    }

    /** Requests admitted or refused by a limit's failure mode because the store could not be asked. */
    public long fallbacks() {
        return fallbacks.sum();
    }
}
