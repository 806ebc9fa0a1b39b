package dev.proxy.core.upstream;

import dev.proxy.core.Endpoint;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;

/** One request's lease on an HTTP/2 connection: a stream of its own, ended with the lease. */
final class Http2Stream extends PooledConnection {
    private final Http2Connection connection;
    private final boolean reused;
    /** Set as the stream channel is initialised, before the lessee is handed this lease. */
    Channel stream;
    private boolean ended;

    Http2Stream(Http2Connection connection, boolean reused) {
        this.connection = connection;
        this.reused = reused;
    }

    @Override
    public Channel channel() {
        return stream;
    }

    @Override
    public Endpoint endpoint() {
        return connection.pool.endpoint();
    }

    @Override
    public boolean isReused() {
        return reused;
    }

    /** A stream that both sides ended is closed already; closing it again sends nothing. */
    @Override
    public void release() {
        end();
    }

    /** Resets the stream (RST_STREAM) if it is still open; the connection's other streams are untouched. */
    @Override
    public void close() {
        end();
    }

    @Override
    public boolean canDetach() {
        return false;
    }

    @Override
    public Channel detach(ChannelHandler successor) {
        throw new IllegalStateException("an HTTP/2 stream cannot switch protocols");
    }

    /** Ends the lease once, whoever calls first: the lessee, or the pool when the stream could not be opened. */
    void end() {
        listener = null;
        if (ended) {
            return;
        }
        ended = true;
        if (stream != null) {
            stream.close();
        }
        connection.pool.streamEnded(connection);
    }

    @Override
    public String toString() {
        return "Http2Stream[" + connection + (stream == null ? "" : " " + stream.id().asShortText()) + "]";
    }
}
