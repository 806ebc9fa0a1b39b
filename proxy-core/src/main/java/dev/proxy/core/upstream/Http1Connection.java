package dev.proxy.core.upstream;

import dev.proxy.core.Endpoint;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;

/** A keep-alive HTTP/1.1 connection to one endpoint: one request at a time, so the connection is its own lease. */
final class Http1Connection extends PooledConnection {
    /**
     * DETACHED: handed over for good (a protocol upgrade), or closed with its slot handed to a new connection (a
     * non-idempotent request at the cap, see {@link Http1LoopPool#lendExisting}); it holds no pool slot and only its
     * close is counted.
     */
    enum State { CONNECTING, LEASED, IDLE, CLOSING, DETACHED, CLOSED }

    private final Channel channel;
    private final Http1LoopPool pool;
    private final long createdNanos;
    State state = State.CONNECTING;
    long idleSinceNanos;
    long keepAliveNanos = Long.MAX_VALUE;
    int requests;

    Http1Connection(Channel channel, Http1LoopPool pool, long createdNanos) {
        this.channel = channel;
        this.pool = pool;
        this.createdNanos = createdNanos;
    }

    @Override
    public Channel channel() {
        return channel;
    }

    @Override
    public Endpoint endpoint() {
        return pool.endpoint();
    }

    @Override
    public boolean isReused() {
        return requests > 0;
    }

    @Override
    public void keepAliveTimeout(long nanos) {
        this.keepAliveNanos = nanos;
    }

    @Override
    public void release() {
        listener = null;
        pool.release(this);
    }

    /** Its capacity returns to the pool once it is closed. */
    @Override
    public void close() {
        listener = null;
        channel.close();
    }

    @Override
    public boolean canDetach() {
        return true;
    }

    @Override
    public Channel detach(ChannelHandler successor) {
        listener = null;
        pool.detach(this);
        ChannelPipeline p = channel.pipeline();
        p.remove(UpstreamHandler.class);
        p.remove(UpstreamChannelInitializer.IDLE);
        p.addLast(successor);
        // the codec goes last of all, so bytes it decoded past the response reach the successor in order
        p.remove(HttpClientCodec.class);
        return channel;
    }

    long createdNanos() {
        return createdNanos;
    }

    @Override
    public String toString() {
        return "Http1Connection[" + pool.endpoint() + " " + channel.id().asShortText() + " " + state + "]";
    }
}
