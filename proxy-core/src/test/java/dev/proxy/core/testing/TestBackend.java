package dev.proxy.core.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A real HTTP server on a loopback ephemeral port, for tests: answers with a {@link Responder}, or runs any pipeline
 * the test sets up (raw bytes, streaming, misbehaviour). Counts accepted and open connections and requests, and keeps
 * the last requests it saw, so tests can assert what the proxy sent. Thread-safe.
 */
public final class TestBackend implements AutoCloseable {
    /** Writes the response to {@code request} (or does not: a hanging upstream). Runs on the backend's event loop. */
    @FunctionalInterface
    public interface Responder {
        void respond(ChannelHandlerContext ctx, FullHttpRequest request);
    }

    private final EventLoopGroup group;
    private final Channel server;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger peakOpen = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<FullHttpRequest> seen = new CopyOnWriteArrayList<>();

    private TestBackend(Consumer<ChannelPipeline> pipeline) throws InterruptedException {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.incrementAndGet();
                        channels.add(ch);
                        peakOpen.accumulateAndGet(channels.size(), Math::max);
                        pipeline.accept(ch.pipeline());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** An HTTP/1.1 keep-alive server that aggregates each request (up to 16 MiB) and hands it to {@code responder}. */
    public static TestBackend http(Responder responder) throws InterruptedException {
        return http(responder, Duration.ZERO);
    }

    /**
     * Like {@link #http(Responder)}, but closes a connection that has been idle for {@code idleClose} (zero: never),
     * as servers with a short keep-alive timeout do.
     */
    public static TestBackend http(Responder responder, Duration idleClose) throws InterruptedException {
        TestBackend[] self = new TestBackend[1];
        self[0] = new TestBackend(p -> {
            if (!idleClose.isZero()) {
                p.addLast(new IdleStateHandler(0, 0, idleClose.toMillis(), TimeUnit.MILLISECONDS));
                p.addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt instanceof IdleStateEvent) {
                            ctx.close();
                        }
                    }
                });
            }
            p.addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024 * 1024),
                    new RequestHandler(self[0], responder));
        });
        return self[0];
    }

    /** Like {@link #http(Responder)} over TLS with {@code tls} (a server context). */
    public static TestBackend https(SslContext tls, Responder responder) throws InterruptedException {
        TestBackend[] self = new TestBackend[1];
        self[0] = new TestBackend(p -> p.addLast(tls.newHandler(p.channel().alloc()), new HttpServerCodec(),
                new HttpObjectAggregator(16 * 1024 * 1024), new RequestHandler(self[0], responder)));
        return self[0];
    }

    /**
     * An HTTP/2 server: cleartext with prior knowledge (h2c) when {@code tls} is null, else TLS with ALPN {@code h2}
     * ({@code tls} must offer it). Each stream's request is aggregated and handed to {@code responder} as with
     * {@link #http}; the response written on the stream goes back as HTTP/2 frames.
     */
    public static TestBackend h2(SslContext tls, Responder responder) throws InterruptedException {
        return h2(tls, Http2Settings.defaultSettings(), responder);
    }

    /** Like {@link #h2(SslContext, Responder)}, announcing {@code settings} (e.g. a lower max concurrent streams). */
    public static TestBackend h2(SslContext tls, Http2Settings settings, Responder responder)
            throws InterruptedException {
        TestBackend[] self = new TestBackend[1];
        self[0] = new TestBackend(p -> {
            if (tls != null) {
                p.addLast(tls.newHandler(p.channel().alloc()));
            }
            p.addLast(Http2FrameCodecBuilder.forServer().initialSettings(settings).build(), new Http2MultiplexHandler(
                    new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel stream) {
                            stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true),
                                    new HttpObjectAggregator(16 * 1024 * 1024), new RequestHandler(self[0], responder));
                        }
                    }));
        });
        return self[0];
    }

    /**
     * A WebSocket echo server on {@code path}, built from Netty's codec: each data frame goes back as it came, pings
     * are answered, a close frame is answered and the connection closed. Any other request gets {@code 200 plain}
     * (counted and kept like {@link #http}'s), so one endpoint serves both.
     */
    public static TestBackend webSocketEcho(String path) throws InterruptedException {
        TestBackend[] self = new TestBackend[1];
        self[0] = new TestBackend(p -> p.addLast(new HttpServerCodec(), new HttpObjectAggregator(1024 * 1024),
                new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder().websocketPath(path)
                        .maxFramePayloadLength(64 * 1024 * 1024).build()),
                new FrameEcho(), new RequestHandler(self[0], ok("plain"))));
        return self[0];
    }

    /** A server whose connections get exactly the pipeline {@code pipeline} builds (no HTTP codec unless added). */
    public static TestBackend raw(Consumer<ChannelPipeline> pipeline) throws InterruptedException {
        return new TestBackend(pipeline);
    }

    /** A responder answering 200 with {@code body} as text. */
    public static Responder ok(String body) {
        return (ctx, req) -> ctx.writeAndFlush(text(HttpResponseStatus.OK, body, HttpUtil.isKeepAlive(req)));
    }

    /** A full text response with Content-Length; {@code keepAlive} false adds {@code Connection: close}. */
    public static FullHttpResponse text(HttpResponseStatus status, String body, boolean keepAlive) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        HttpUtil.setContentLength(r, content.readableBytes());
        if (!keepAlive) {
            HttpUtil.setKeepAlive(r, false);
        }
        return r;
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** {@code 127.0.0.1:port}, as the config file wants it. */
    public String address() {
        return "127.0.0.1:" + port();
    }

    public int acceptedConnections() {
        return accepted.get();
    }

    public int openConnections() {
        return channels.size();
    }

    /** The most connections that were open at the same time. */
    public int peakOpenConnections() {
        return peakOpen.get();
    }

    public int requestCount() {
        return requests.get();
    }

    /** Copies of the requests received so far (headers only; bodies dropped), oldest first. */
    public List<FullHttpRequest> requests() {
        return List.copyOf(seen);
    }

    public FullHttpRequest lastRequest() {
        return seen.get(seen.size() - 1);
    }

    /** Closes every accepted connection now (a crude reset of everything in flight). */
    public void closeAllConnections() {
        channels.close().awaitUninterruptibly();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
        channels.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** Writes each WebSocket frame back (the write takes ownership); passes anything else on. */
    @ChannelHandler.Sharable
    private static final class FrameEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof WebSocketFrame) {
                ctx.writeAndFlush(msg);
            } else {
                ctx.fireChannelRead(msg);
            }
        }
    }

    @ChannelHandler.Sharable
    private static final class RequestHandler extends ChannelInboundHandlerAdapter {
        private final TestBackend backend;
        private final Responder responder;

        RequestHandler(TestBackend backend, Responder responder) {
            this.backend = backend;
            this.responder = responder;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof FullHttpRequest)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            FullHttpRequest request = (FullHttpRequest) msg;
            try {
                backend.requests.incrementAndGet();
                FullHttpRequest copy = request.replace(Unpooled.EMPTY_BUFFER);
                copy.headers().set("x-test-body-length", request.content().readableBytes());
                backend.seen.add(copy);
                responder.respond(ctx, request);
            } finally {
                request.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
