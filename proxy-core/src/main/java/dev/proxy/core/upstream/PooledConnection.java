package dev.proxy.core.upstream;

import dev.proxy.core.Endpoint;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;

/**
 * What a request leases from a {@link ConnectionPool}: a keep-alive HTTP/1.1 connection of its own, or one stream of
 * a multiplexed HTTP/2 connection. Either way the lessee sees HTTP/1 message objects on {@link #channel()} and ends
 * its lease exactly once: with {@link #release()} when the exchange ended cleanly, {@link #close()} otherwise, or
 * {@link #detach} when the connection leaves HTTP. Confined to its channel's event loop: every method must be called
 * there.
 */
public abstract sealed class PooledConnection permits Http1Connection, Http2Stream {
    /** Where the connection's events go during a lease; null between leases. */
    UpstreamListener listener;

    PooledConnection() {
    }

    /** What the lessee writes its request to and reads from: the connection, or the HTTP/2 stream of this lease. */
    public abstract Channel channel();

    public abstract Endpoint endpoint();

    /** True when the connection carried requests before this one: the upstream may have closed it meanwhile. */
    public abstract boolean isReused();

    /** Routes this lease's events to {@code listener} until the lease ends. */
    public final void attach(UpstreamListener listener) {
        this.listener = listener;
    }

    /** The upstream's {@code Keep-Alive: timeout=N}: an HTTP/1.1 connection is not reused once idle that long. */
    public void keepAliveTimeout(long nanos) {
    }

    /** Ends the lease and gives the connection back; only after a complete response and with neither side closing. */
    public abstract void release();

    /**
     * Ends the lease after a failure. HTTP/1.1: the connection closes (its state is unknown); HTTP/2: only this
     * stream is reset, the connection and its other streams carry on.
     */
    public abstract void close();

    /** Whether {@link #detach} is possible: HTTP/1.1 connections can switch protocols, HTTP/2 streams cannot. */
    public abstract boolean canDetach();

    /**
     * Ends the lease by taking the connection out of the pool for good, after a {@code 101 Switching Protocols}: its
     * slot under {@code maxConnectionsPerEndpoint} is free at once, and the caller owns the channel (closing it is
     * the caller's, and only that close is still counted). The pool's handlers leave the pipeline and
     * {@code successor} is added last; any bytes read past the response reach {@code successor}, in order.
     * {@code successor} must release what it reads. HTTP/1.1 only: an HTTP/2 stream cannot switch protocols.
     *
     * @throws IllegalStateException for an HTTP/2 stream
     */
    public abstract Channel detach(ChannelHandler successor);
}
