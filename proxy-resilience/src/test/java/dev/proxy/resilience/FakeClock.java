package dev.proxy.resilience;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** A nanosecond clock that moves only when a test says so. Starts far from zero, as {@link System#nanoTime} may. */
public final class FakeClock implements LongSupplier {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);

    @Override
    public long getAsLong() {
        return nanos.get();
    }

    public void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    public void advanceNanos(long n) {
        nanos.addAndGet(n);
    }
}
