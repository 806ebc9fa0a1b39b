package dev.proxy.core.upstream;

import io.netty.handler.codec.http.HttpObject;

/**
 * Receives what happens on a leased upstream connection. Called on the connection's event loop, which is the
 * lessee's own loop.
 */
public interface UpstreamListener {
    /** A decoded response part. The listener owns {@code msg} and must release or pass it on. */
    void onUpstreamMessage(HttpObject msg);

    /** The end of one read burst: a good moment to flush what was written downstream. */
    void onUpstreamReadComplete();

    void onUpstreamWritabilityChanged(boolean writable);

    /** No bytes moved either way for the cluster's idle timeout. */
    void onUpstreamIdle();

    /** The connection closed (by either side) while leased. */
    void onUpstreamClosed();

    void onUpstreamError(Throwable cause);
}
