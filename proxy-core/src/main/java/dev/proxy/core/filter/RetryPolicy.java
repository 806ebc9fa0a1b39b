package dev.proxy.core.filter;

import dev.proxy.core.ProxyError;

/**
 * Whether a route repeats a failed attempt, and when. The engine checks everything that depends on the request
 * itself (is the method idempotent, did the request reach the upstream, can its body be sent again, is there time
 * left before the deadline); the policy decides the rest. Thread-safe and non-blocking.
 */
public interface RetryPolicy {
    /** One attempt, no retries. */
    RetryPolicy NONE = new RetryPolicy() {
        @Override
        public int maxAttempts() {
            return 1;
        }

        @Override
        public long bufferBodyUpTo() {
            return 0;
        }

        @Override
        public boolean retriesOn(ProxyError failure) {
            return false;
        }

        @Override
        public boolean retriesOnStatus(int status) {
            return false;
        }

        @Override
        public void onRequest() {
        }

        @Override
        public boolean tryAcquireRetry() {
            return false;
        }

        @Override
        public long backoffNanos(int retry) {
            return 0;
        }

        @Override
        public long retryAfterMaxNanos() {
            return 0;
        }
    };

    /** The most attempts per request, the first included. */
    int maxAttempts();

    /** Request body bytes kept so that the body can be sent again. */
    long bufferBodyUpTo();

    /** Whether an attempt that failed this way without a response is repeated. */
    boolean retriesOn(ProxyError failure);

    /** Whether an attempt answered with this status is repeated (the answer is then dropped). */
    boolean retriesOnStatus(int status);

    /** Counts a request of the route towards the retry budget. */
    void onRequest();

    /** Takes one retry from the budget; false when the budget is spent and the failure must stand. */
    boolean tryAcquireRetry();

    /** How long to wait before retry number {@code retry} (1 for the first retry). */
    long backoffNanos(int retry);

    /** The longest {@code Retry-After} that is waited for; a longer one ends the request with the upstream's answer. */
    long retryAfterMaxNanos();
}
