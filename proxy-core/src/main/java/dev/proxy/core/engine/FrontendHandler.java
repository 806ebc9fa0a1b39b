package dev.proxy.core.engine;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.upstream.PooledConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client connection: turns each request into a {@link ProxyExchange} and runs them one at a
 * time. Pipelined requests that arrive while one is in flight are held (reading pauses) and started in order.
 * Decides when the client's channel reads: not while a connection is being leased, not while the upstream cannot
 * take more body, not while pipelined requests wait, not while a WebSocket upgrade awaits its answer. After a
 * {@code 101} it hands the connection to a {@link Tunnel} and leaves the pipeline. One per connection, or one per
 * HTTP/2 stream ({@link #forStream}, on the stream's child channel); runs on the connection's event loop.
 * Ownership: releases what it neither dispatches nor holds; the client's bytes read while an upgrade awaits its
 * answer are kept and handed to the tunnel, or released.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter implements ClientSide {
    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    private final ProxyServer server;
    /** Null on an HTTP/2 stream, whose HEADERS frame arrives whole (the connection's codec bounds it). */
    private final RequestHeaderTimeout headerTimeout;
    /** This handler serves one HTTP/2 stream, not a connection: one request, never pipelined, never upgraded. */
    private final boolean stream;
    /** What the connection is doing; it moves only down this list. */
    private enum Phase {
        /** Reading HTTP requests, one exchange at a time. */
        SERVING,
        /** An upgrade request was read whole and the decoder has left: the client's bytes are kept for a tunnel. */
        AWAITING_UPGRADE,
        /** A tunnel has the connection; this handler has left the pipeline. */
        TUNNELLED,
        /** Closing or closed: what still arrives is released. */
        CLOSING
    }

    private ChannelHandlerContext ctx;
    private Phase phase = Phase.SERVING;
    private ProxyExchange exchange;
    private ArrayDeque<Object> held;
    /** The {@link ReadPause#bit}s of the reasons not to read now. */
    private int pauses;
    private boolean replaying;
    /** The client's bytes read while an upgrade awaits its answer, for the tunnel; null until there are some. */
    private ArrayDeque<ByteBuf> earlyBytes;
    private ClientIdentity identity;

    FrontendHandler(ProxyServer server, RequestHeaderTimeout headerTimeout) {
        this(server, headerTimeout, false);
    }

    private FrontendHandler(ProxyServer server, RequestHeaderTimeout headerTimeout, boolean stream) {
        this.server = server;
        this.headerTimeout = headerTimeout;
        this.stream = stream;
    }

    /** The handler of one HTTP/2 stream's child channel. */
    static FrontendHandler forStream(ProxyServer server) {
        return new FrontendHandler(server, null, true);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.identity = new ClientIdentity(server, ctx.channel(), stream);
        if (!stream) {
            Drain.set(ctx.channel(), this::drain);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.CLOSING) {
            ReferenceCountUtil.release(msg);
        } else if (phase == Phase.AWAITING_UPGRADE) {
            keepEarly(msg);
        } else if ((held != null && !held.isEmpty()) || (exchange != null && exchange.requestComplete())) {
            hold(msg);
        } else {
            dispatch(msg);
        }
    }

    private void dispatch(Object msg) {
        try {
            if (msg instanceof HttpRequest) {
                if (headerTimeout != null) {
                    headerTimeout.headReceived();
                }
                HttpRequest request = (HttpRequest) msg;
                // a stream's head says HTTP/1.1 after its conversion: only this handler knows the client spoke HTTP/2
                HttpProtocol protocol = stream ? HttpProtocol.HTTP_2 : HttpProtocol.ofHttp1(request.protocolVersion());
                ProxyExchange x = new ProxyExchange(this, ctx.channel(), server.snapshot(), request, protocol);
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
            if (exchange != null && exchange.awaitsUpgrade() && exchange.requestComplete()) {
                awaitUpgrade();
            }
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    /**
     * The client's WebSocket upgrade request has been read whole and sent on. Until the upstream answers, the
     * connection is no longer HTTP on the way in: the decoder leaves now, so the client's first frames (it may send
     * them the moment the 101 arrives) are kept as bytes, never parsed as a request. What the decoder had already
     * read past the request comes back to {@link #channelRead} as bytes as it leaves. Responses still go out as HTTP;
     * after any answer but a 101 the connection closes, as no decoder is left to read a next request.
     */
    private void awaitUpgrade() {
        exchange.closeAfterResponse();
        if (held != null && !held.isEmpty()) {
            // the client sent more after its upgrade request, already parsed as HTTP: those bytes cannot be given
            // back to a tunnel, and RFC 6455 §4.1 forbids sending anything before the answer
            exchange.fail(ProxyError.BAD_REQUEST, null);
            return;
        }
        phase = Phase.AWAITING_UPGRADE;
        pauseReading(ReadPause.UPGRADING, true);
        ChannelPipeline p = ctx.pipeline();
        p.remove(headerTimeout);
        p.replace(FrontendInitializer.CODEC, FrontendInitializer.ENCODER, new HttpResponseEncoder());
    }

    private void keepEarly(Object msg) {
        if (msg instanceof ByteBuf && ((ByteBuf) msg).isReadable()) {
            if (earlyBytes == null) {
                earlyBytes = new ArrayDeque<>(2);
            }
            earlyBytes.add((ByteBuf) msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Whether the connection waits for the answer to a WebSocket upgrade request, so a 101 can be taken. */
    @Override
    public boolean awaitingUpgrade() {
        return phase == Phase.AWAITING_UPGRADE;
    }

    /**
     * The upstream switched protocols and the 101 has been written: this connection becomes the client end of a
     * {@link Tunnel} to {@code upstream}, and this handler leaves, with the idle timer and the encoder.
     */
    @Override
    public void openTunnel(PooledConnection upstream) {
        Duration idleTimeout = server.snapshot().config().server().limits().websocketIdleTimeout();
        phase = Phase.TUNNELLED;
        ChannelPipeline p = ctx.pipeline();
        p.remove(FrontendInitializer.ENCODER);
        p.remove(FrontendInitializer.IDLE);
        Tunnel tunnel = new Tunnel(ctx.channel(), idleTimeout, server.observer());
        // a tunnel has no response to wait for and may last for hours: it closes at once when the proxy drains
        Drain.set(ctx.channel(), tunnel::close);
        p.replace(this, FrontendInitializer.TUNNEL, tunnel.clientSide());
        ArrayDeque<ByteBuf> early = earlyBytes;
        earlyBytes = null;
        tunnel.connect(upstream, early);
    }

    private void hold(Object msg) {
        if (held == null) {
            held = new ArrayDeque<>(4);
        }
        held.add(msg);
        pauseReading(ReadPause.PIPELINED, true);
    }

    @Override
    public void exchangeDone(ProxyExchange finished, boolean keepAlive) {
        if (exchange != finished) {
            return;
        }
        exchange = null;
        if (phase == Phase.TUNNELLED) {
            return;
        }
        if (stream) {
            streamDone(finished);
            return;
        }
        pauses &= ~(ReadPause.CONNECTING.bit | ReadPause.UPSTREAM_BUSY.bit);
        if (!keepAlive || server.isDraining()) {
            close();
            return;
        }
        headerTimeout.awaitNextHead();
        replayHeld();
        updateAutoRead();
    }

    /**
     * The stream's one exchange has ended. A whole response ended the stream's sending half with it, and the stream
     * closes by itself once the client's half has ended too: nothing to do. A cut response must be reset, or the
     * client would wait for the rest; closing the child channel resets only while the client still sends, so the
     * reset is written here. A client still sending a body nobody will read is reset by the close.
     */
    private void streamDone(ProxyExchange finished) {
        if (finished.responseCut()) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
            close();
        } else if (!finished.requestComplete()) {
            close();
        }
    }

    private void replayHeld() {
        if (replaying) {
            return;
        }
        replaying = true;
        try {
            while (held != null && !held.isEmpty() && phase != Phase.CLOSING
                    && (exchange == null || !exchange.requestComplete())) {
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
            pauses &= ~ReadPause.PIPELINED.bit;
        }
    }

    @Override
    public void pauseReading(ReadPause reason, boolean pause) {
        pauses = pause ? pauses | reason.bit : pauses & ~reason.bit;
        updateAutoRead();
    }

    private void updateAutoRead() {
        boolean read = pauses == 0 && phase != Phase.CLOSING;
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    @Override
    public boolean isDraining() {
        return server.isDraining();
    }

    @Override
    public ClientIdentity identity() {
        return identity;
    }

    @Override
    public ProxyObserver observer() {
        return server.observer();
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
                exchange.clientTooSlow(ProxyError.CLIENT_BODY_TIMEOUT);
            }
        } else if (evt == RequestBodyRate.TOO_SLOW) {
            if (exchange != null) {
                exchange.clientTooSlow(ProxyError.CLIENT_BODY_TOO_SLOW);
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        phase = Phase.CLOSING;
        if (exchange != null) {
            exchange.clientClosed();
        }
        BodyParts.releaseAll(held);
        BodyParts.releaseAll(earlyBytes);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Http2Exception protocolError = stream ? Http2CodecUtil.getEmbeddedHttp2Exception(cause) : null;
        if (protocolError != null) {
            // the client broke HTTP/2 on this stream (a WINDOW_UPDATE of 0, a second HEADERS, a pseudo-header in
            // trailers, a request without :path, ...): its fault, answered with the RFC 9113 code, never a 500 (the
            // connection's handler has reset the stream with that code already: Http2Frontend.ConnectionHandler).
            // Passed on to the end of the stream's pipeline; the close then ends the exchange as if the client had
            // gone, so nothing incomplete is sent on upstream
            server.observer().http2ProtocolError(protocolError.error(), false);
            log.debug("HTTP/2 client {} stream error {}: {}", ctx.channel().parent().remoteAddress(),
                    protocolError.error(), protocolError.getMessage());
            ctx.fireExceptionCaught(cause);
        } else if (cause instanceof IOException || cause instanceof Http2FrameStreamException) {
            // a stream's protocol error has been answered with RST_STREAM already: like a broken connection, the
            // client's doing, and the exchange ends as if the client had gone
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
        if (phase != Phase.CLOSING) {
            phase = Phase.CLOSING;
            BodyParts.releaseAll(held);
            BodyParts.releaseAll(earlyBytes);
            if (stream) {
                // ends this stream only (with RST_STREAM while the client still sends); the connection stays
                ctx.close();
                return;
            }
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
