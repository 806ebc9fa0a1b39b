package dev.proxy.core.io;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Fires {@link IdleStateEvent#ALL_IDLE_STATE_EVENT} when a connection has neither read nor written for the idle
 * time, as Netty's {@code IdleStateHandler(0, 0, idle)} does, for a fraction of its cost on the request path.
 * Netty's handler learns of write activity by putting a listener on every write's promise (turning the void promises
 * of the proxy's writes into real ones, one allocation and one notification per write); this one takes the time once
 * per flush and once per read batch, and on expiry counts output that left the socket since the last flush or check as
 * activity (the outbound buffer's pending bytes changed), so a large response read slowly but steadily, or one that
 * finished draining only just now, is not cut, and a client that stops reading is cut once its buffer stops moving. One timer per connection, re-armed for the rest of the period
 * when there was activity, never rescheduled per message. Not sharable: one per channel, used on its event loop.
 */
public final class IdleTimeout extends ChannelDuplexHandler {
    /** The timer of a handler that was removed or whose channel closed: it never starts again. */
    private static final Future<?> CANCELLED = ImmediateEventExecutor.INSTANCE.newSucceededFuture(null);
    private final long idleNanos;
    private long lastActivity;
    private boolean reading;
    /** The outbound buffer's pending bytes at the last flush or check. */
    private long pendingAtLastLook;
    private Future<?> timer;

    public IdleTimeout(long idleNanos) {
        if (idleNanos <= 0) {
            throw new IllegalArgumentException("idle time must be positive: " + idleNanos);
        }
        this.idleNanos = idleNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            start(ctx);
        }
    }

    @Override
    public void channelRegistered(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isActive()) {
            start(ctx);
        }
        super.channelRegistered(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (reading) {
            lastActivity = ctx.executor().ticker().nanoTime();
            reading = false;
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        lastActivity = ctx.executor().ticker().nanoTime();
        ctx.flush();
        pendingAtLastLook = pendingBytes(ctx);
    }

    private void start(ChannelHandlerContext ctx) {
        if (timer != null) {
            return;
        }
        lastActivity = ctx.executor().ticker().nanoTime();
        timer = ctx.executor().schedule(() -> check(ctx), idleNanos, TimeUnit.NANOSECONDS);
    }

    private void stop() {
        if (timer != null) {
            timer.cancel(false);
        }
        // never null again: a stopped timer does not restart
        timer = CANCELLED;
    }

    private void check(ChannelHandlerContext ctx) {
        if (timer == CANCELLED || !ctx.channel().isOpen()) {
            return;
        }
        long now = ctx.executor().ticker().nanoTime();
        long pending = pendingBytes(ctx);
        if (reading || pending != pendingAtLastLook) {
            lastActivity = now;
        }
        pendingAtLastLook = pending;
        long left = idleNanos - (now - lastActivity);
        if (left > 0) {
            timer = ctx.executor().schedule(() -> check(ctx), left, TimeUnit.NANOSECONDS);
            return;
        }
        // the next period starts now: a listener that does not close the connection hears of it again only after
        // another whole idle time, as with Netty's handler
        lastActivity = now;
        timer = ctx.executor().schedule(() -> check(ctx), idleNanos, TimeUnit.NANOSECONDS);
        ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
    }

    /** What waits in the channel's outbound buffer (none for a channel without one, such as an HTTP/2 stream's). */
    private static long pendingBytes(ChannelHandlerContext ctx) {
        ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }
}
