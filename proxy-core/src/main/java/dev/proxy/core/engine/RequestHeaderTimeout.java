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
 * Bounds the time from the first byte of a request to its last header byte, the defence against slowloris; for the
 * first request of a connection, from the moment the handler is added (at accept on a plain listener, after the TLS
 * handshake on a TLS one), so a connection that connects and sends nothing is answered 408 and closed too, as
 * HAProxy's {@code timeout http-request} does, instead of holding a slot of {@code maxConnections}. Between requests
 * of a keep-alive connection the client idle timeout applies until the next head's first byte. Sits
 * before the HTTP codec and watches raw bytes; {@link FrontendHandler} tells it when a head was decoded and when the
 * next one is awaited. A client too slow gets a raw 408 and the connection closes. One per connection; runs on its
 * event loop.
 *
 * <p>The timer is not cancelled when a head arrives in time: it runs when it was due, finds that head done, and
 * re-arms for the head being read then, if any. On a keep-alive connection that is one task per timeout period
 * rather than a schedule and a cancel per request, each a sift of the event loop's priority queue. It holds only
 * this handler, and it is cancelled when the connection closes or the handler leaves.
 */
final class RequestHeaderTimeout extends ChannelInboundHandlerAdapter {
    private final long timeoutNanos;
    private final ProxyObserver observer;
    private final Runnable expiry = this::expired;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private boolean awaitingHead = true;
    /** The first byte of the awaited head has arrived, at {@link #headStartNanos}. */
    private boolean readingHead;
    private long headStartNanos;

    RequestHeaderTimeout(long timeoutNanos, ProxyObserver observer) {
        this.timeoutNanos = timeoutNanos;
        this.observer = observer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            startFirstHead();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        startFirstHead();
        ctx.fireChannelActive();
    }

    /** The first head's time runs from now, whether or not a byte has come. */
    private void startFirstHead() {
        if (awaitingHead && !readingHead && timer == null) {
            readingHead = true;
            headStartNanos = ctx.executor().ticker().nanoTime();
            timer = ctx.executor().schedule(expiry, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaitingHead && !readingHead && msg instanceof ByteBuf && ((ByteBuf) msg).isReadable()) {
            readingHead = true;
            headStartNanos = ctx.executor().ticker().nanoTime();
            // a timer still queued for an earlier head runs sooner than this one's time is up and re-arms for it
            if (timer == null) {
                timer = ctx.executor().schedule(expiry, timeoutNanos, TimeUnit.NANOSECONDS);
            }
        }
        ctx.fireChannelRead(msg);
    }

    void headReceived() {
        awaitingHead = false;
        readingHead = false;
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
        if (!readingHead) {
            return;
        }
        long left = headStartNanos + timeoutNanos - ctx.executor().ticker().nanoTime();
        if (left > 0) {
            timer = ctx.executor().schedule(expiry, left, TimeUnit.NANOSECONDS);
            return;
        }
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
