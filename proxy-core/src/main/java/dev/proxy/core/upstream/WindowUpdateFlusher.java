package dev.proxy.core.upstream;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;

/**
 * First in the pipeline of every HTTP/2 stream channel, on either side of the proxy: makes sure the
 * {@code WINDOW_UPDATE} a stream owes its peer goes out when the stream is read again.
 *
 * <p>Netty's stream channel gives back the window of the DATA it has read only when the next read is asked for
 * ({@code read()}, which {@code setAutoRead(true)} calls), by writing the update to the connection. It flushes that
 * write when a read loop of the stream ends, but not when its read state was left "in progress": that happens when
 * the stream is paused ({@code setAutoRead(false)}) in the same loop that had asked for the next read. A stream resumed
 * from another connection's event (the client's window opened again) then owes its peer an update that waits,
 * unflushed, for the next unrelated write on the connection, or for ever: a response larger than the client's window
 * stalls. So each read is followed by a flush of the stream, which writes nothing of its own here and flushes the
 * connection only when the stream has written something unflushed and the connection is not in its own read loop
 * (which flushes when it ends).
 *
 * <p>Stateless and sharable; runs on the stream's event loop. Passes every message on untouched.
 */
@ChannelHandler.Sharable
public final class WindowUpdateFlusher extends ChannelOutboundHandlerAdapter {
    public static final WindowUpdateFlusher INSTANCE = new WindowUpdateFlusher();

    private WindowUpdateFlusher() {
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        ctx.read();
        // first in the pipeline, so this flush reaches only the stream channel itself, never a handler that holds
        // a message back until the next flush
        ctx.flush();
    }
}
