package dev.proxy.core.balancer;

/**
 * How busy each endpoint of a cluster is now, for load-aware policies. Indexes are positions in the endpoint list the
 * balancer was built with. Reads are lock-free and allocation-free, and may be a few operations stale.
 */
@FunctionalInterface
public interface EndpointLoad {
    /** Requests in flight to the endpoint at {@code index}. */
    int inFlight(int index);

    /** A load that is always zero, for tests and for policies that ignore load. */
    static EndpointLoad none() {
        return index -> 0;
    }
}
