package dev.proxy.resilience.limit;

/**
 * The cap a {@link ConcurrencyLimitFilter} enforces: fixed, or moved by the samples it is fed. Thread-safe and
 * lock-free; read on every request and fed once per ended request, from every event loop.
 */
interface Limit {
    /** The current cap on requests in flight. */
    int current();

    /**
     * One ended request.
     *
     * @param rttNanos from the start of the request to its end
     * @param inFlight requests in flight when it ended, itself included
     * @param dropped it was shed or timed out: a sign of overload whatever its latency
     */
    void onSample(long rttNanos, int inFlight, boolean dropped);

    /** A cap that never moves. */
    static Limit fixed(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be >= 1: " + max);
        }
        return new Limit() {
            @Override
            public int current() {
                return max;
            }

            @Override
            public void onSample(long rttNanos, int inFlight, boolean dropped) {
            }

            @Override
            public String toString() {
                return "fixed " + max;
            }
        };
    }
}
