package dev.proxy.resilience.breaker;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/**
 * A {@link Clock} reading a nanosecond ticker, for resilience4j's circuit breaker, which times its open state with a
 * {@code java.time.Clock}. Only differences between its instants mean anything: they are the ticker's, not wall time,
 * so a wall-clock step cannot shorten or stretch a breaker's wait. Thread-safe.
 */
final class NanoClock extends Clock {
    private final LongSupplier nanoTicker;

    NanoClock(LongSupplier nanoTicker) {
        this.nanoTicker = requireNonNull(nanoTicker, "nanoTicker");
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochSecond(0, nanoTicker.getAsLong());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        if (ZoneOffset.UTC.equals(zone)) {
            return this;
        }
        throw new UnsupportedOperationException("a ticker has no time zone");
    }
}
