package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp2;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The flow-control windows the proxy offers an HTTP/2 upstream ({@code clusters[].http2}), and what they bound: an
 * upstream streams a 32 MiB response as fast as flow control lets it, to a client that does not read (it never gives
 * its 64 KiB window back). What the upstream managed to send and the client did not get is what the proxy holds for
 * that stream: at most the stream window, the client's window and a few frames, however long the client waits. When
 * the client reads at last, the whole response arrives.
 */
class Http2UpstreamWindowIntegrationTest {
    private static final int RESPONSE = 32 * 1024 * 1024;
    private static final int CLIENT_WINDOW = 65_535;
    /** The proxy's own few frames in flight: the client stream's write buffer and a frame or two being relayed. */
    private static final int SLACK = 160 * 1024;

    @RegisterExtension
    final Closer closer = new Closer();

    /** Bytes of response the upstream has written to its socket. */
    private final AtomicLong sent = new AtomicLong();
    private final AtomicReference<Channel> upstreamStream = new AtomicReference<>();
    private final AtomicReference<Http2SettingsFrame> proxySettings = new AtomicReference<>();
    private final List<Http2FrameCodec> codecs = new CopyOnWriteArrayList<>();
    private final List<Channel> connections = new CopyOnWriteArrayList<>();

    @Test
    void byDefaultTheProxyOffersOneMebibytePerStreamAndEveryStreamsWorthPerConnection() throws Exception {
        int window = 1024 * 1024;
        TestProxy proxy = proxy("");

        holdsAtMostTheWindowsForAClientThatDoesNotRead(proxy, window, 100L * window);
    }

    @Test
    void aClustersWindowsBoundWhatTheProxyHoldsForASlowClient() throws Exception {
        int window = 256 * 1024;
        TestProxy proxy = proxy("http2: { initialStreamWindow: 256KiB, connectionWindow: 1MiB }");

        holdsAtMostTheWindowsForAClientThatDoesNotRead(proxy, window, 1024 * 1024);
    }

    private void holdsAtMostTheWindowsForAClientThatDoesNotRead(TestProxy proxy, int streamWindow,
                                                                long connectionWindow) throws Exception {
        try (RawHttp2 client = RawHttp2.connect(proxy.port())) {
            client.request(1, "GET", "/flood", true);
            client.flush();

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(proxySettings.get()).isNotNull();
                assertThat(upstreamStream.get()).isNotNull();
            });
            assertThat(proxySettings.get().settings().initialWindowSize()).isEqualTo(streamWindow);
            assertThat(proxySettings.get().settings().pushEnabled()).isFalse();
            // the upstream sends until the proxy's stream window is full (the proxy gives window back only once half
            // of it has been relayed, which the client's 64 KiB does not reach), then must wait
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(sent.get()).isGreaterThanOrEqualTo(streamWindow);
                assertThat(onLoop(() -> upstreamStream.get().isWritable())).isFalse();
            });
            assertThat(sent.get()).as("what the proxy holds for the client")
                    .isLessThanOrEqualTo((long) streamWindow + CLIENT_WINDOW + SLACK);
            await().atMost(Duration.ofSeconds(20)).until(() -> client.dataBytes(1) == CLIENT_WINDOW);
            // the connection's window covers what the stream holds, and the rest stays open for other streams
            long openOnConnection = onLoop(() -> {
                Http2Connection c = codecs.get(0).connection();
                return (long) c.remote().flowController().windowSize(c.connectionStream());
            });
            assertThat(openOnConnection + sent.get()).isGreaterThanOrEqualTo(connectionWindow);

            // the client reads at last: the rest flows, with no stall on the way
            client.windowUpdate(0, RESPONSE);
            client.windowUpdate(1, RESPONSE);
            client.flush();
            await().atMost(Duration.ofSeconds(60)).until(() -> client.ended(1));
            assertThat(client.dataBytes(1)).isEqualTo(RESPONSE);
        }
    }

    private <T> T onLoop(java.util.concurrent.Callable<T> task) throws Exception {
        return connections.get(0).eventLoop().submit(task).get(10, TimeUnit.SECONDS);
    }

    private TestProxy proxy(String http2) throws Exception {
        TestBackend upstream = closer.keep(TestBackend.raw(p -> {
            connections.add(p.channel());
            Http2FrameCodec codec = Http2FrameCodecBuilder.forServer().build();
            codecs.add(codec);
            p.addLast(codec, new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel stream) {
                    stream.pipeline().addLast(new Flood());
                }
            }), new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof Http2SettingsFrame s) {
                        proxySettings.set(s);
                    }
                    ReferenceCountUtil.release(msg);
                }
            });
        }));
        return closer.keep(TestProxy.start("""
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                    protocol: h2
                    %s
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: app
                    timeout: 2m
                """.formatted(upstream.address(), http2)));
    }

    /** Answers a request with {@link #RESPONSE} bytes, writing whenever the stream's window lets it. */
    private final class Flood extends ChannelInboundHandlerAdapter {
        private long remaining = RESPONSE;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            // the response starts with the request, whether or not its (empty) body has come
            boolean start = msg instanceof Http2HeadersFrame;
            ReferenceCountUtil.release(msg);
            if (start) {
                upstreamStream.set(ctx.channel());
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")));
                pump(ctx);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        private void pump(ChannelHandlerContext ctx) {
            while (remaining > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(16 * 1024, remaining);
                remaining -= n;
                ByteBuf data = ctx.alloc().buffer(n).writeZero(n);
                ctx.write(new DefaultHttp2DataFrame(data, remaining == 0)).addListener(f -> {
                    if (f.isSuccess()) {
                        sent.addAndGet(n);
                    }
                });
            }
            ctx.flush();
        }
    }
}
