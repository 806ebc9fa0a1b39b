package dev.proxy.core.config;

/**
 * A cap on a route's requests in flight; a request over it is answered {@code 503 overloaded} at once, never queued.
 *
 * @param max the fixed cap; with {@code adaptive}, the highest the cap may grow to
 * @param adaptive the cap follows the upstream's latency (a gradient limit), between {@code minLimit} and
 *     {@code max}, starting at {@code initialLimit}
 */
public record ConcurrencyLimitConfig(int max, boolean adaptive, int initialLimit, int minLimit) {
    public ConcurrencyLimitConfig {
        if (max < 1 || minLimit < 1 || minLimit > max || initialLimit < minLimit || initialLimit > max) {
            throw new IllegalArgumentException("out of range: max " + max + ", initial " + initialLimit + ", min "
                    + minLimit);
        }
    }

    /** A fixed cap. */
    public static ConcurrencyLimitConfig fixed(int max) {
        return new ConcurrencyLimitConfig(max, false, max, 1);
    }
}
