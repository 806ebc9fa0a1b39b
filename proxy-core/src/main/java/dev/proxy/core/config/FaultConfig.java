package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * Faults injected into a share of a route's requests, for resilience drills.
 *
 * @param onlyWithHeader when present, only requests carrying this header (lower case) are touched
 */
public record FaultConfig(Optional<Delay> delay, Optional<Abort> abort, Optional<String> onlyWithHeader) {
    public FaultConfig {
        requireNonNull(delay, "delay");
        requireNonNull(abort, "abort");
        requireNonNull(onlyWithHeader, "onlyWithHeader");
    }

    /** {@code percent} of the requests wait {@code duration} before going on. */
    public record Delay(double percent, Duration duration) {
        public Delay {
            requireNonNull(duration, "duration");
        }
    }

    /** {@code percent} of the requests are answered {@code status} without reaching the upstream. */
    public record Abort(double percent, int status) {
    }
}
