package dev.proxy.core.engine;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The minimum request body data rate, as Kestrel's {@code MinRequestBodyDataRate}: once a request body has been
 * read for longer than the grace period, the bytes received must keep up with {@code bytesPerSecond} times the time
 * spent reading it; a body that trickles slower would hold the client connection and an upstream connection until
 * the route deadline. Time while the proxy itself does not read (auto-read off: back-pressure, connecting upstream)
 * does not count. When the rate is missed, {@link #TOO_SLOW} goes to the {@link FrontendHandler}, which fails the
 * exchange with {@code 408 client_body_too_slow} and closes the connection.
 *
 * <p>Sits after the HTTP/1.1 codec and passes every message on unchanged (it owns none). A timer runs only while a
 * body is being received. One per connection; runs on its event loop.
 */
final class RequestBodyRate extends ChannelInboundHandlerAdapter {
    /** The user event fired when a body is too slow. */
    static final Object TOO_SLOW = new Object() {
        @Override
        public String toString() {
            return "RequestBodyRate.TOO_SLOW";
        }
    };
    private static final long CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final long bytesPerSecond;
    private final long graceNanos;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private long bytes;
    private long readingNanos;
    private long lastTickNanos;

    /**
     * @param bytesPerSecond the rate a body must keep up with; must be positive (the handler is not added when the
     *     limit is off)
     */
    RequestBodyRate(long bytesPerSecond, long graceNanos) {
        this.bytesPerSecond = bytesPerSecond;
        this.graceNanos = graceNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // a head the decoder refused is answered 400 by the exchange, with no body read: nothing to time
        if (msg instanceof HttpRequest request && !(msg instanceof LastHttpContent)
                && request.decoderResult().isSuccess() && MessageHeaders.hasBody(request)) {
            start();
        }
        if (timer != null && msg instanceof HttpContent content) {
            bytes += content.content().readableBytes();
            if (msg instanceof LastHttpContent) {
                stop();
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void start() {
        stop();
        bytes = 0;
        readingNanos = 0;
        lastTickNanos = ctx.executor().ticker().nanoTime();
        timer = ctx.executor().scheduleAtFixedRate(this::check, CHECK_NANOS, CHECK_NANOS, TimeUnit.NANOSECONDS);
    }

    private void check() {
        long now = ctx.executor().ticker().nanoTime();
        if (ctx.channel().config().isAutoRead()) {
            readingNanos += now - lastTickNanos;
        }
        lastTickNanos = now;
        // bytes / seconds < rate, without dividing: bytes × 1e9 < rate × nanos (as doubles: no overflow)
        if (readingNanos > graceNanos && bytes * 1e9 < (double) bytesPerSecond * readingNanos) {
            stop();
            ctx.fireUserEventTriggered(TOO_SLOW);
        }
    }

    private void stop() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }
}
