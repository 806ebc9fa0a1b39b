package dev.proxy.core.observe;

import dev.proxy.core.ProxyError;

/**
 * Hears one cluster's upstream connections, endpoint health and the outcome of each attempt sent to it. Asked for
 * when the cluster's runtime is built and kept on it, so the engine reports to it without looking anything up.
 * Shared by the cluster's pools and requests on every event loop: thread-safe, non-blocking.
 */
public interface ClusterObserver {
    /** Observes nothing. */
    ClusterObserver NONE = new ClusterObserver() {
    };

    /**
     * An attempt on this cluster got a response head ({@code status} set, {@code error} null) or failed
     * ({@code status} 0). Called on the request's event loop, right after {@link ExchangeObserver#attemptEnded}.
     *
     * @param nanos from the attempt's start to the response head or the failure
     */
    default void attemptEnded(int status, ProxyError error, long nanos) {
    }

    /**
     * A failed attempt on this cluster will be tried again: because of the status it got, or of {@code error} when
     * status is 0. Called right after {@link ExchangeObserver#retrying}.
     */
    default void retrying(int status, ProxyError error) {
    }

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

    /**
     * The upstream {@code endpoint} closed a kept-alive connection while it sat idle in the pool, or just as a request
     * was sent on it (before any response): the stale keep-alive race.
     */
    default void staleClose(String endpoint) {
    }

    /**
     * An idle connection to {@code endpoint} was closed by the proxy, unused, because it had been idle for longer than
     * the endpoint's learned idle timeout allows.
     */
    default void retiredByLearnedIdleTimeout(String endpoint) {
    }

    /**
     * A request to {@code endpoint} failed because the reused connection it was sent on closed before any response,
     * and it could not be sent again (not idempotent, or its body was already forwarded).
     */
    default void staleRequestFailed(String endpoint) {
    }

    /** A request waited for a connection at the pool's cap for the whole acquire timeout. */
    default void acquireTimedOut() {
    }

    /**
     * Zone-aware balancing picked an endpoint in the proxy's own zone ({@code local}) or in another. Called on the
     * request's event loop for each pick of a cluster with {@code locality} on.
     */
    default void zonePicked(boolean local) {
    }

    /** Outlier detection ejected an endpoint. */
    default void ejected() {
    }

    /** A circuit breaker of the cluster went to {@code state}: {@code closed}, {@code open} or {@code half_open}. */
    default void breakerTransition(String state) {
    }
}
