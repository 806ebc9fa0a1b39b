package dev.proxy.core.upstream;

import io.netty.channel.Channel;

/**
 * A keep-alive HTTP/1.1 connection to one endpoint, leased from a {@link ConnectionPool} by one request at a time.
 * Confined to its channel's event loop: every method must be called there. The lessee ends its lease exactly once,
 * with {@link #release()} when the exchange ended cleanly or {@link #close()} otherwise.
 */
public final class PooledConnection {
    enum State { CONNECTING, LEASED, IDLE, CLOSING, CLOSED }

    private final Channel channel;
    private final LoopPool pool;
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

    public Channel channel() {
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
        pool.release(this);
    }

    /** Ends the lease by closing the connection; its capacity returns to the pool once it is closed. */
    public void close() {
        listener = null;
        channel.close();
    }

    long createdNanos() {
        return createdNanos;
    }

    @Override
    public String toString() {
        return "PooledConnection[" + pool.endpoint() + " " + channel.id().asShortText() + " " + state + "]";
    }
}
