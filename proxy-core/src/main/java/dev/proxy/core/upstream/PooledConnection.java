package dev.proxy.core.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;

/**
 * A keep-alive HTTP/1.1 connection to one endpoint, leased from a {@link ConnectionPool} by one request at a time.
 * Confined to its channel's event loop: every method must be called there. The lessee ends its lease exactly once,
 * with {@link #release()} when the exchange ended cleanly, {@link #close()} otherwise, or {@link #detach} when the
 * connection leaves HTTP.
 */
public final class PooledConnection {
    /** DETACHED: handed over for good (a protocol upgrade); it holds no pool slot and only its close is counted. */
    enum State { CONNECTING, LEASED, IDLE, CLOSING, DETACHED, CLOSED }

    private final Channel channel;
    private final LoopPool pool;
    /** The HTTP/2 stream of the current lease, or null (HTTP/1.1, or between leases). */
    Channel stream;
    private final long createdNanos;
    State state = State.CONNECTING;
    UpstreamListener listener;
    long idleSinceNanos;
    long keepAliveNanos = Long.MAX_VALUE;
    int requests;

    PooledConnection(Channel channel, LoopPool pool, long createdNanos) {
        this.channel = channel;
        this.pool = pool;
        this.createdNanos = createdNanos;
    }

    /** What the lessee writes its request to and reads from: the HTTP/2 stream of this lease, else the connection. */
    public Channel channel() {
        Channel s = stream;
        return s != null ? s : channel;
    }

    /** The TCP connection itself. */
    Channel connection() {
        return channel;
    }

    public Endpoint endpoint() {
        return pool.endpoint();
    }

    /** True when this lease is not the connection's first: the upstream may have closed it while it sat idle. */
    public boolean isReused() {
        return requests > 0;
    }

    /** Routes this connection's events to {@code listener} until the lease ends. */
    public void attach(UpstreamListener listener) {
        this.listener = listener;
    }

    /** The upstream's {@code Keep-Alive: timeout=N}: the connection is not reused once it has idled that long. */
    public void keepAliveTimeout(long nanos) {
        this.keepAliveNanos = nanos;
    }

    /** Returns the connection to the pool; only after a complete response and with neither side closing. */
    public void release() {
        listener = null;
        endStream();
        pool.release(this);
    }

    /** An HTTP/2 lease ends with its stream, which closes itself once both sides ended it; closing it again is safe. */
    private void endStream() {
        Channel s = stream;
        stream = null;
        if (s != null) {
            s.close();
        }
    }

    /** Ends the lease by closing the connection; its capacity returns to the pool once it is closed. */
    public void close() {
        listener = null;
        endStream();
        channel.close();
    }

    /**
     * Ends the lease by taking the connection out of the pool for good, after a {@code 101 Switching Protocols}: its
     * slot under {@code maxConnectionsPerEndpoint} is free at once, and the caller owns the channel (closing it is
     * the caller's, and only that close is still counted). The pool's handlers leave the pipeline and
     * {@code successor} is added last; the HTTP codec goes last of all, so any bytes it read past the response reach
     * {@code successor}, in order. {@code successor} must release what it reads.
     */
    public Channel detach(ChannelHandler successor) {
        listener = null;
        pool.detach(this);
        ChannelPipeline p = channel.pipeline();
        p.remove(UpstreamHandler.class);
        p.remove(UpstreamChannelInitializer.IDLE);
        p.addLast(successor);
        p.remove(HttpClientCodec.class);
        return channel;
    }

    long createdNanos() {
        return createdNanos;
    }

    @Override
    public String toString() {
        return "PooledConnection[" + pool.endpoint() + " " + channel.id().asShortText() + " " + state + "]";
    }
}
