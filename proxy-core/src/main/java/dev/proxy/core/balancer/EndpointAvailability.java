package dev.proxy.core.balancer;

/**
 * Which endpoints may get traffic now (neither ejected nor failing their health checks), for policies that weigh
 * healthy shares, such as zone-aware balancing. Indexes are positions in the endpoint list the balancer was built
 * with. Thread-safe and lock-free to read.
 */
public interface EndpointAvailability {
    /** Every endpoint is always available: a cluster without health checks or outlier detection. */
    EndpointAvailability ALL = new EndpointAvailability() {
        @Override
        public boolean isAvailable(int index) {
            return true;
        }

        @Override
        public long version() {
            return 0;
        }
    };

    /** True when the endpoint at {@code index} may get traffic now. */
    boolean isAvailable(int index);

    /**
     * A number that changes whenever an answer of {@link #isAvailable} may have changed since it was last read: a
     * balancer that derives something from availability recomputes it when this moves, and only then. Cheap: one or
     * two volatile reads.
     */
    long version();
}
