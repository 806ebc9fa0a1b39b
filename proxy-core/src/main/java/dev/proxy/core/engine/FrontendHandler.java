package dev.proxy.core.engine;

import dev.proxy.core.ProxyError;
import dev.proxy.core.observe.ProxyObserver;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client connection: turns each request into a {@link ProxyExchange} and runs them one at a
 * time. Pipelined requests that arrive while one is in flight are held (reading pauses) and started in order.
 * Decides when the client's channel reads: not while a connection is being leased, not while the upstream cannot
 * take more body, not while pipelined requests wait. One per connection; runs on the connection's event loop.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {
    static final int PAUSE_CONNECTING = 1;
    static final int PAUSE_UPSTREAM_BUSY = 2;
    private static final int PAUSE_PIPELINED = 4;
    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    private final ProxyServer server;
    private final RequestHeaderTimeout headerTimeout;
    private ChannelHandlerContext ctx;
    private ProxyExchange exchange;
    private ArrayDeque<Object> held;
    private int pauses;
    private boolean closing;
    private boolean replaying;

    FrontendHandler(ProxyServer server, RequestHeaderTimeout headerTimeout) {
        this.server = server;
        this.headerTimeout = headerTimeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
        } else if ((held != null && !held.isEmpty()) || (exchange != null && exchange.requestComplete())) {
            hold(msg);
        } else {
            dispatch(msg);
        }
    }

    private void dispatch(Object msg) {
        try {
            if (msg instanceof HttpRequest) {
                headerTimeout.headReceived();
                ProxyExchange x = new ProxyExchange(this, ctx.channel(), server.snapshot(), (HttpRequest) msg);
                exchange = x;
                x.start();
                if (msg instanceof HttpContent) {
                    x.onRequestContent((HttpContent) msg);
                }
            } else if (msg instanceof HttpContent && exchange != null) {
                exchange.onRequestContent((HttpContent) msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    private void hold(Object msg) {
        if (held == null) {
            held = new ArrayDeque<>(4);
        }
        held.add(msg);
        pauseReading(PAUSE_PIPELINED, true);
    }

    /** Called by the exchange exactly once, when it has ended. */
    void exchangeDone(ProxyExchange finished, boolean keepAlive) {
        if (exchange != finished) {
            return;
        }
        exchange = null;
        pauses &= ~(PAUSE_CONNECTING | PAUSE_UPSTREAM_BUSY);
        if (!keepAlive || server.isDraining()) {
            close();
            return;
        }
        headerTimeout.awaitNextHead();
        replayHeld();
        updateAutoRead();
    }

    private void replayHeld() {
        if (replaying) {
            return;
        }
        replaying = true;
        try {
            while (held != null && !held.isEmpty() && !closing && (exchange == null || !exchange.requestComplete())) {
                dispatch(held.poll());
            }
        } finally {
            replaying = false;
        }
        if (exchange != null) {
            // replayed parts were read long ago: no read-complete event will come to flush them
            exchange.flushUpstream();
        }
        if (held == null || held.isEmpty()) {
            pauses &= ~PAUSE_PIPELINED;
        }
    }

    void pauseReading(int reason, boolean pause) {
        pauses = pause ? pauses | reason : pauses & ~reason;
        updateAutoRead();
    }

    private void updateAutoRead() {
        boolean read = pauses == 0 && !closing;
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    boolean isDraining() {
        return server.isDraining();
    }

    ProxyObserver observer() {
        return server.observer();
    }

    /** Whether this client connection is TLS. */
    boolean isTls() {
        return server.tls().isPresent();
    }

    /**
     * Puts the verified client certificate's identity in the configured header, after removing whatever the client
     * sent in it: the header is the proxy's word, never the client's. Before routing, so routes can match on it.
     */
    void applyClientIdentity(HttpRequest request) {
        String header = server.identityHeader();
        if (header != null) {
            request.headers().remove(header);
            String identity = ctx.channel().attr(TlsHandshakeEvents.CLIENT_IDENTITY).get();
            if (identity != null) {
                request.headers().set(header, identity);
            }
        }
    }

    /** Asked by the server when draining starts: an idle connection closes now, a busy one after its response. */
    void drain() {
        if (exchange == null) {
            close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.flushUpstream();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.onClientWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (exchange == null) {
                close();
            } else {
                exchange.onClientIdle();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        if (exchange != null) {
            exchange.clientClosed();
        }
        releaseHeld();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("client connection {} failed", ctx.channel().remoteAddress(), cause);
            ctx.close();
        } else {
            internalError(cause);
        }
    }

    private void internalError(Throwable cause) {
        if (exchange != null) {
            exchange.fail(ProxyError.INTERNAL, cause);
        } else {
            log.warn("closing client connection {} after an unexpected error", ctx.channel().remoteAddress(), cause);
            close();
        }
    }

    private void close() {
        if (!closing) {
            closing = true;
            releaseHeld();
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void releaseHeld() {
        if (held != null) {
            Object m;
            while ((m = held.poll()) != null) {
                ReferenceCountUtil.release(m);
            }
        }
    }
}
