package dev.proxy.resilience.breaker;

/**
 * What resilience4j is told a failed call threw. One shared instance without a stack trace: the breaker only counts
 * it, so filling in a stack per failure would cost for nothing.
 */
final class UpstreamFailure extends RuntimeException {
    static final UpstreamFailure INSTANCE = new UpstreamFailure();

    private UpstreamFailure() {
        super("upstream failure (status in failureStatuses, or failed without a response)", null, false, false);
    }
}
