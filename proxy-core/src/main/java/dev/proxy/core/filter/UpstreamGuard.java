package dev.proxy.core.filter;

import dev.proxy.core.ProxyError;
import dev.proxy.core.Endpoint;
import java.util.List;
import java.util.OptionalLong;

/**
 * A cluster's circuit breaker as the engine sees it: asked before each attempt, told how each attempt went.
 * Thread-safe, non-blocking, shared by every event loop.
 *
 * <p>Every {@link #tryAcquire} that returns true is followed by exactly one of {@link #onResponse},
 * {@link #onFailure} and {@link #release} for the same endpoint.
 */
public interface UpstreamGuard {
    /** No breaker: every attempt is allowed. */
    UpstreamGuard NONE = new UpstreamGuard() {
        @Override
        public boolean tryAcquire(Endpoint endpoint) {
            return true;
        }

        @Override
        public void onResponse(Endpoint endpoint, int status, long durationNanos, OptionalLong retryAfterNanos) {
        }

        @Override
        public void onFailure(Endpoint endpoint, ProxyError error, long durationNanos) {
        }

        @Override
        public void release(Endpoint endpoint) {
        }
    };

    /** False when the breaker is open: the attempt must not reach {@code endpoint}. */
    boolean tryAcquire(Endpoint endpoint);

    /**
     * The upstream answered.
     *
     * @param durationNanos from the start of the attempt to the response head
     * @param retryAfterNanos the response's {@code Retry-After} in nanoseconds from now, if it has one (only read on a
     *     429 or 503); empty allocates nothing, and a present one is rare, so an answer costs no allocation
     */
    void onResponse(Endpoint endpoint, int status, long durationNanos, OptionalLong retryAfterNanos);

    /** The attempt failed without a response (connect failure, reset, timeout). */
    void onFailure(Endpoint endpoint, ProxyError error, long durationNanos);

    /** The attempt ended in a way that says nothing about the upstream (the client left, the proxy gave up). */
    void release(Endpoint endpoint);

    /** The breaker states the proxy reports, as {@link #state} and {@link #breakers} name them. */
    List<String> STATES = List.of("closed", "open", "half_open");

    /** The state of the breaker guarding {@code endpoint} ({@code closed}, {@code open}, ...), or null with none. */
    default String state(Endpoint endpoint) {
        return null;
    }

    /** How many of the guard's breakers are in {@code state} ({@code closed}, {@code open}, {@code half_open}). */
    default int breakers(String state) {
        return 0;
    }
}
