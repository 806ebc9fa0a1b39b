package dev.proxy.core.upstream;

import dev.proxy.core.ProxyError;

/** Told the outcome of {@link ConnectionPool#acquire}. Called on the event loop the acquire was made on. */
public interface AcquireCallback {
    /** The caller now leases {@code connection} and must {@link PooledConnection#release()} or close it. */
    void acquired(PooledConnection connection);

    /** No connection: the pool was full, the wait timed out or the connect failed. */
    void acquireFailed(ProxyError error, Throwable cause);

    /**
     * Whether the request may be sent twice. One that may not gets only a connection idle for well under the
     * endpoint's learned idle timeout, else a new one (see {@link IdleTimeoutLearner}).
     */
    default boolean idempotent() {
        return true;
    }
}
