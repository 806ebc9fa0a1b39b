package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.core.upstream.PoolStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Peers that vanish mid-exchange: whatever happens, the other side is told (closed, not left hanging), the upstream
 * connection is closed rather than pooled, the pool's counts return to zero and the proxy keeps serving.
 */
class AbortIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private TestProxy proxy(TestBackend backend) throws InterruptedException {
        return closer.keep(TestProxy.start("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                    maxBodySize: 1GiB
                """.formatted(backend.address())));
    }

    private static PoolStats pool(TestProxy proxy) {
        return proxy.server().snapshot().clusters().get("b").poolStats();
    }

    /** Streams 64 MiB for any request, writing only while the channel is writable; counts bytes read of uploads. */
    private TestBackend streamingBackend(AtomicInteger uploaded) throws InterruptedException {
        return closer.keep(TestBackend.raw(p -> p.addLast(new HttpServerCodec(), new ChannelInboundHandlerAdapter() {
            private long left;

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof io.netty.handler.codec.http.HttpContent) {
                    uploaded.addAndGet(((io.netty.handler.codec.http.HttpContent) msg).content().readableBytes());
                }
                if (msg instanceof HttpRequest && ((HttpRequest) msg).uri().startsWith("/download")) {
                    DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    left = 64L << 20;
                    head.headers().set(HttpHeaderNames.CONTENT_LENGTH, left);
                    ctx.writeAndFlush(head);
                    ctx.executor().execute(() -> pump(ctx));
                }
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                // fired from inside a write when the buffer crosses a watermark: writing from here would re-enter
                // the HTTP encoder, so the next chunks are written from a fresh task
                if (ctx.channel().isWritable()) {
                    ctx.executor().execute(() -> pump(ctx));
                }
            }

            private void pump(ChannelHandlerContext ctx) {
                while (left > 0 && ctx.channel().isWritable()) {
                    int n = (int) Math.min(16384, left);
                    left -= n;
                    ByteBuf chunk = ctx.alloc().buffer(n).writeZero(n);
                    ctx.write(new DefaultHttpContent(chunk));
                }
                ctx.flush();
            }
        })));
    }

    @Test
    void closesTheUpstreamConnectionWhenTheClientVanishesMidUpload() throws Exception {
        AtomicInteger uploaded = new AtomicInteger();
        TestBackend backend = streamingBackend(uploaded);
        TestProxy proxy = proxy(backend);
        RawHttp c = new RawHttp(proxy.port());
        c.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 104857600\r\n\r\n");
        c.send(new byte[1 << 20]);
        await().atMost(Duration.ofSeconds(5)).until(() -> uploaded.get() > 0);
        c.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.openConnections() == 0 && pool(proxy).open() == 0);
        assertThat(proxy.server().connectionCount()).isZero();
    }

    @Test
    void closesTheUpstreamConnectionWhenTheClientVanishesMidDownload() throws Exception {
        TestBackend backend = streamingBackend(new AtomicInteger());
        TestProxy proxy = proxy(backend);
        RawHttp c = new RawHttp(proxy.port());
        c.send("GET /download HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readHeadResponse().status()).isEqualTo(200);
        InputStream in = c.input();
        assertThat(in.readNBytes(1 << 20)).hasSize(1 << 20);
        c.socket().setSoLinger(true, 0);
        c.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.openConnections() == 0 && pool(proxy).open() == 0);
        assertThat(pool(proxy).idle()).isZero();
    }

    @Test
    void cutsTheClientResponseWhenTheUpstreamResetsMidBody() throws Exception {
        TestBackend backend = closer.keep(TestBackend.raw(p -> p.addLast(new HttpServerCodec(), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpRequest) {
                    DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
                    ctx.write(head);
                    ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("first part", StandardCharsets.US_ASCII)))
                            .addListener((ChannelFutureListener) f -> {
                                f.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                                f.channel().close();
                            });
                }
                ReferenceCountUtil.release(msg);
            }
        })));
        TestProxy proxy = proxy(backend);
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /reset HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response head = c.readHeadResponse();
            assertThat(head.status()).isEqualTo(200);
            byte[] rest = c.input().readAllBytes();
            String text = new String(rest, StandardCharsets.US_ASCII);
            assertThat(text).contains("first part");
            // never the terminating zero-length chunk: the client must see the response as cut
            assertThat(text).doesNotContain("\r\n0\r\n\r\n");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> pool(proxy).open() == 0);
    }

    @Test
    void answers502WhenAFreshUpstreamConnectionClosesBeforeAnswering() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http((ctx, req) -> ctx.close()));
        TestProxy proxy = proxy(backend);
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.header("x-proxy-error")).isEqualTo("upstream_reset");
            // the client's connection survives an upstream failure
            assertThat(c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status()).isEqualTo(502);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> pool(proxy).open() == 0);
    }

    @Test
    void answers502ToAMalformedUpstreamResponse() throws Exception {
        TestBackend backend = closer.keep(TestBackend.raw(p -> p.addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                ctx.writeAndFlush(Unpooled.copiedBuffer("HTTP/1.1 two hundred OK\r\nContent-Length: 0\r\n\r\n",
                        StandardCharsets.US_ASCII));
            }
        })));
        TestProxy proxy = proxy(backend);
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.header("x-proxy-error")).isEqualTo("upstream_bad_response");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> pool(proxy).open() == 0);
    }

    @Test
    void keepsServingAfterManyAbortedDownloads() throws Exception {
        TestBackend backend = streamingBackend(new AtomicInteger());
        TestProxy proxy = proxy(backend);
        for (int i = 0; i < 20; i++) {
            RawHttp c = new RawHttp(proxy.port());
            c.send("GET /download HTTP/1.1\r\nHost: a\r\n\r\n");
            c.readHeadResponse();
            c.input().readNBytes(1000);
            c.close();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> pool(proxy).open() == 0 && backend.openConnections() == 0);
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /other HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
            c.setReadTimeoutMillis(300);
            // the streaming backend answers only /download; the upload was accepted and the proxy is responsive
            assertThat(c.isClosedByPeer()).isFalse();
        }
    }
}
