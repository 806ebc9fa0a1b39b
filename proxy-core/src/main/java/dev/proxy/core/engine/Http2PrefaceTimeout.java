package dev.proxy.core.engine;

import dev.proxy.core.ProxyError;
import dev.proxy.core.observe.ProxyObserver;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTP/2 client connection whose preface and first SETTINGS frame have not arrived within the request header
 * timeout of the moment HTTP/2 was chosen: without it, a client that negotiated {@code h2} and then says nothing would
 * hold its connection (and a slot of {@code maxConnections}) until the idle timeout. Counted as
 * {@code request_header_timeout}. Sits at the end of the connection's pipeline, where the codec passes the client's
 * SETTINGS frames, and leaves it at the first one. One per connection; runs on its event loop.
 */
final class Http2PrefaceTimeout extends ChannelInboundHandlerAdapter {
    private final long timeoutNanos;
    private final ProxyObserver observer;
    private ScheduledFuture<?> timer;

    Http2PrefaceTimeout(long timeoutNanos, ProxyObserver observer) {
        this.timeoutNanos = timeoutNanos;
        this.observer = observer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> {
            timer = null;
            if (ctx.channel().isActive()) {
                observer.connectionRejected(ProxyError.REQUEST_HEADER_TIMEOUT);
                ctx.close();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // the codec accepts no frame before the preface and no first frame but SETTINGS: this is both
        if (msg instanceof Http2SettingsFrame) {
            ctx.pipeline().remove(this);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
