package dev.proxy.core.engine;

import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.upstream.PooledConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client connection and an upstream connection joined after a WebSocket upgrade ({@code 101 Switching
 * Protocols}): each side's bytes are written to the other as they are read, frames are not parsed. Back-pressure: a
 * side stops reading while the other cannot take more, and resumes when it can. The tunnel closes both sides when
 * either closes (after flushing what was already read) or when no bytes moved either way for the idle timeout.
 *
 * <p>Both channels live on the same event loop (the pool lends connections of the client's own loop), so the
 * tunnel is confined to that loop and needs no locks. Ownership: each {@link ByteBuf} read on one side is handed to
 * the other side's write, which releases it; it is released here when the other side is gone. Anything else read
 * (the HTTP decoder's end marker that follows the 101) is released.
 */
final class Tunnel {
    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);

    private final Side client;
    private final Side upstream;
    private final long idleNanos;
    private final ProxyObserver observer;
    private ScheduledFuture<?> idleTimer;
    private long lastActivityNanos = System.nanoTime();
    private boolean closed;

    /** A tunnel from {@code client}; its client side must take the place of the client's HTTP handlers. */
    Tunnel(Channel client, Duration idleTimeout, ProxyObserver observer) {
        this.client = new Side(client);
        this.upstream = new Side(null);
        this.client.peer = upstream;
        this.upstream.peer = this.client;
        this.idleNanos = idleTimeout.toNanos();
        this.observer = observer;
    }

    /** The handler that takes the client's bytes; the caller puts it last in the client's pipeline. */
    ChannelInboundHandlerAdapter clientSide() {
        return client;
    }

    /**
     * Takes the upstream connection out of its pool and starts moving bytes. The client's bytes that arrived after
     * its upgrade request ({@code early}, now owned by the tunnel) go first, as do the upstream's bytes its HTTP
     * decoder read past the 101 (the pool hands them over as the decoder leaves).
     */
    void connect(PooledConnection connection, Queue<ByteBuf> early) {
        observer.tunnelOpened();
        upstream.channel = connection.detach(upstream);
        if (early != null) {
            ByteBuf b;
            while ((b = early.poll()) != null) {
                client.forward(b);
            }
        }
        client.channel.flush();
        upstream.channel.flush();
        if (!client.channel.isActive() || !upstream.channel.isActive()) {
            close("a side closed during the upgrade");
            return;
        }
        // the exchange may have left either side paused; from now on only writability decides
        client.channel.config().setAutoRead(upstream.channel.isWritable());
        upstream.channel.config().setAutoRead(client.channel.isWritable());
        scheduleIdleCheck(idleNanos);
    }

    /** Closes both sides; asked when the proxy drains. */
    void close() {
        close("the proxy is draining");
    }

    private void close(String why) {
        if (closed) {
            return;
        }
        closed = true;
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        log.debug("closing WebSocket tunnel {} <-> {}: {}", client.channel, upstream.channel, why);
        closeAfterFlush(client.channel);
        closeAfterFlush(upstream.channel);
        observer.tunnelClosed(client.bytesRead, upstream.bytesRead);
    }

    /**
     * Flushes what was already forwarded (a close frame read just before the other side went away must still
     * arrive), then closes. A peer that stopped reading cannot hold the connection open: it is cut after the idle
     * timeout.
     */
    private void closeAfterFlush(Channel ch) {
        if (ch == null || !ch.isActive()) {
            return;
        }
        ChannelFuture flushed = ch.writeAndFlush(Unpooled.EMPTY_BUFFER);
        flushed.addListener(ChannelFutureListener.CLOSE);
        if (!flushed.isDone()) {
            ScheduledFuture<?> cut = ch.eventLoop().schedule(() -> {
                ch.close();
            }, idleNanos, TimeUnit.NANOSECONDS);
            ch.closeFuture().addListener(f -> cut.cancel(false));
        }
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleTimer = client.channel.eventLoop().schedule(this::checkIdle, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Like Netty's IdleStateHandler: one timer per tunnel, re-armed for the rest of the period after activity. */
    private void checkIdle() {
        idleTimer = null;
        if (closed) {
            return;
        }
        long idleFor = System.nanoTime() - lastActivityNanos;
        // bytes waiting for a slow reader are not idleness: back-pressure holds the other side, not the timeout
        boolean draining = !client.channel.isWritable() || !upstream.channel.isWritable();
        if (idleFor >= idleNanos && !draining) {
            close("idle for " + Duration.ofNanos(idleFor));
        } else {
            scheduleIdleCheck(idleFor >= idleNanos ? idleNanos : idleNanos - idleFor);
        }
    }

    /** One end of the tunnel: the last (and only) handler of its channel once the HTTP handlers have left. */
    final class Side extends ChannelInboundHandlerAdapter {
        private Channel channel;
        private Side peer;
        private long bytesRead;

        private Side(Channel channel) {
            this.channel = channel;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                forward((ByteBuf) msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        /** Writes a buffer read on this side to the peer, which then owns it; pauses this side if the peer is full. */
        private void forward(ByteBuf buf) {
            bytesRead += buf.readableBytes();
            lastActivityNanos = System.nanoTime();
            Channel to = peer.channel;
            if (closed || to == null || !to.isActive()) {
                buf.release();
                return;
            }
            to.write(buf, to.voidPromise());
            if (!to.isWritable()) {
                // pause before flushing: the flush may drain the buffer and fire the event that resumes reading
                channel.config().setAutoRead(false);
                to.flush();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            Channel to = peer.channel;
            if (to != null) {
                to.flush();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (!closed && peer.channel != null) {
                peer.channel.config().setAutoRead(channel.isWritable());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close(this == client ? "the client closed" : "the upstream closed");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof IOException) {
                log.debug("WebSocket tunnel connection {} failed", ctx.channel(), cause);
            } else {
                log.warn("closing WebSocket tunnel after an unexpected error on {}", ctx.channel(), cause);
            }
            ctx.close();
            close(this == client ? "the client failed" : "the upstream failed");
        }
    }
}
