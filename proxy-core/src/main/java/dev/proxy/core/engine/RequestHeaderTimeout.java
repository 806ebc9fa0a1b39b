package dev.proxy.core.engine;

import dev.proxy.core.ProxyError;
import dev.proxy.core.observe.ProxyObserver;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the time from the first byte of a request to its last header byte, the defence against slowloris. Sits
 * before the HTTP codec and watches raw bytes; {@link FrontendHandler} tells it when a head was decoded and when the
 * next one is awaited. A client too slow gets a raw 408 and the connection closes. One per connection; runs on its
 * event loop.
 */
final class RequestHeaderTimeout extends ChannelInboundHandlerAdapter {
    private final long timeoutNanos;
    private final ProxyObserver observer;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private boolean awaitingHead = true;

    RequestHeaderTimeout(long timeoutNanos, ProxyObserver observer) {
        this.timeoutNanos = timeoutNanos;
        this.observer = observer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaitingHead && timer == null && msg instanceof ByteBuf && ((ByteBuf) msg).isReadable()) {
            timer = ctx.executor().schedule(this::expired, timeoutNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    void headReceived() {
        awaitingHead = false;
        cancel();
    }

    void awaitNextHead() {
        awaitingHead = true;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    private void expired() {
        timer = null;
        if (awaitingHead && ctx.channel().isActive()) {
            observer.connectionRejected(ProxyError.REQUEST_HEADER_TIMEOUT);
            ctx.writeAndFlush(ErrorResponses.rawRequestTimeout(ctx.alloc())).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
