package dev.proxy.resilience.limit;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * An adaptive cap after Netflix's Gradient2: it compares the latency of recent requests (the short RTT, a window's
 * average) with a slowly moving baseline (the long RTT, an exponential average over about a hundred windows). While
 * the two agree the cap grows by about {@code sqrt(cap)} per five windows; when recent latency exceeds the baseline by
 * more than half the cap shrinks by the ratio (at most to half per step, smoothed); a window in which a request was
 * shed or timed out cuts the cap by a tenth (the multiplicative decrease of AIMD). The cap stays within
 * {@code [min, max]} and does not grow while fewer than half of it are in use, since then latency says nothing about
 * the cap.
 *
 * <p>A window closes at the first sample after it lasted twice the last short RTT (clamped to 100 ms – 1 s) and holds
 * at least {@value #MIN_SAMPLES} samples or a drop, so a quiet route keeps adapting, only more slowly.
 *
 * <p>Written here rather than taken from Netflix's {@code concurrency-limits-core} 0.5.4, whose
 * {@code AbstractLimit.onSample} and {@code setLimit} are {@code synchronized} and whose {@code WindowedLimit} takes a
 * {@code ReentrantLock} on the sample path: a monitor shared by every event loop. Here a sample is a few atomic adds,
 * and the one sample that closes a window (the winner of a compare-and-set on its end) computes the new cap; nobody
 * waits. Samples racing with that close may land in either window, which only blurs an average.
 *
 * <p>Thread-safe and lock-free; the clock is injected so tests drive time.
 */
final class GradientLimit implements Limit {
    static final int MIN_SAMPLES = 10;
    static final long MIN_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final long MAX_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Recent latency may exceed the baseline by this factor before the cap shrinks (Gradient2's default). */
    private static final double TOLERANCE = 1.5;
    /** The share of a step's target taken per window, so one noisy window cannot swing the cap. */
    private static final double SMOOTHING = 0.2;
    private static final double DROP_BACKOFF = 0.9;
    private static final int WARMUP_WINDOWS = 10;
    /** An exponential average over about 100 windows: slow enough to remember the unloaded latency under load. */
    private static final double LONG_RTT_WEIGHT = 2.0 / (100 + 1);

    private final int min;
    private final int max;
    private final LongSupplier nanoClock;

    private final AtomicLong windowEnd;
    private final AtomicLong rttSum = new AtomicLong();
    private final AtomicInteger samples = new AtomicInteger();
    private final AtomicInteger peakInFlight = new AtomicInteger();
    private final AtomicBoolean dropped = new AtomicBoolean();

    private volatile int current;
    // written only by the sample that closes a window, but that is a different event loop each time: hence volatile
    private volatile double estimate;
    private volatile double longRtt;
    private volatile int windows;
    private volatile long windowNanos = MAX_WINDOW_NANOS;

    GradientLimit(int min, int max, int initial, LongSupplier nanoClock) {
        if (min < 1 || min > max || initial < min || initial > max) {
            throw new IllegalArgumentException("out of range: min " + min + ", max " + max + ", initial " + initial);
        }
        this.min = min;
        this.max = max;
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.current = initial;
        this.estimate = initial;
        this.windowEnd = new AtomicLong(nanoClock.getAsLong() + windowNanos);
    }

    @Override
    public int current() {
        return current;
    }

    @Override
    public void onSample(long rttNanos, int inFlight, boolean drop) {
        if (drop) {
            dropped.set(true);
        } else {
            rttSum.addAndGet(Math.max(0, rttNanos));
            samples.incrementAndGet();
        }
        if (inFlight > peakInFlight.get()) {
            peakInFlight.accumulateAndGet(inFlight, Math::max);
        }
        long now = nanoClock.getAsLong();
        long end = windowEnd.get();
        if (now - end >= 0 && (samples.get() >= MIN_SAMPLES || dropped.get())
                && windowEnd.compareAndSet(end, now + windowNanos)) {
            closeWindow();
        }
    }

    private void closeWindow() {
        int n = samples.getAndSet(0);
        long sum = rttSum.getAndSet(0);
        int peak = peakInFlight.getAndSet(0);
        boolean drop = dropped.getAndSet(false);
        double est = estimate;
        double next;
        if (drop) {
            next = est * DROP_BACKOFF;
        } else if (n == 0) {
            return;
        } else {
            double shortRtt = (double) sum / n;
            double baseline = updateLongRtt(shortRtt);
            windowNanos = Math.max(MIN_WINDOW_NANOS, Math.min(MAX_WINDOW_NANOS, (long) (2 * shortRtt)));
            if (peak < est / 2) {
                return;
            }
            double gradient = shortRtt <= 0 ? 1.0 : Math.max(0.5, Math.min(1.0, TOLERANCE * baseline / shortRtt));
            double target = est * gradient + Math.sqrt(est);
            next = est * (1 - SMOOTHING) + target * SMOOTHING;
        }
        next = Math.max(min, Math.min(max, next));
        estimate = next;
        current = Math.max(min, (int) next);
    }

    private double updateLongRtt(double shortRtt) {
        int w = windows;
        double baseline;
        if (w < WARMUP_WINDOWS) {
            baseline = (longRtt * w + shortRtt) / (w + 1);
            windows = w + 1;
        } else {
            baseline = longRtt * (1 - LONG_RTT_WEIGHT) + shortRtt * LONG_RTT_WEIGHT;
        }
        // after a long overload the baseline has crept up; pull it down fast once latency is back to normal
        if (shortRtt > 0 && baseline / shortRtt > 2) {
            baseline *= 0.95;
        }
        longRtt = baseline;
        return baseline;
    }

    /** The baseline latency, for tests and metrics. */
    long baselineNanos() {
        return (long) longRtt;
    }

    @Override
    public String toString() {
        return "gradient " + current + " in [" + min + ", " + max + "]";
    }
}
