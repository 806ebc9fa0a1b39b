package dev.proxy.core.observe;

/**
 * Hears one cluster's upstream connections and endpoint health. Shared by the cluster's pools on every event loop:
 * thread-safe, non-blocking.
 */
public interface ClusterObserver {
    /** Observes nothing. */
    ClusterObserver NONE = new ClusterObserver() {
    };

    /** A new upstream connection is up, {@code nanos} after the connect began. */
    default void connected(long nanos) {
    }

    /** A connect failed or timed out. */
    default void connectFailed() {
    }

    /** An upstream connection closed, for whatever reason. */
    default void connectionClosed() {
    }

    /** A request was lent a connection: a kept-alive one ({@code reused}) or one just opened. */
    default void leased(boolean reused) {
    }

    /** A request waited for a connection at the pool's cap for the whole acquire timeout. */
    default void acquireTimedOut() {
    }

    /** Outlier detection ejected an endpoint. */
    default void ejected() {
    }

    /** A circuit breaker of the cluster went to {@code state}: {@code closed}, {@code open} or {@code half_open}. */
    default void breakerTransition(String state) {
    }
}
