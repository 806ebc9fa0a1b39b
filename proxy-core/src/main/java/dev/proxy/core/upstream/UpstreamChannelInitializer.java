package dev.proxy.core.upstream;

import dev.proxy.core.config.ClusterTimeouts;
import dev.proxy.core.config.UpstreamHttp2Config;
import dev.proxy.core.config.UpstreamProtocol;
import dev.proxy.core.io.IdleTimeout;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2LocalFlowController;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.ReferenceCountUtil;

/**
 * Sets up a new upstream connection. HTTP/1.1: the client codec and the idle timer; the pool adds the
 * {@link UpstreamHandler} once the connection is established. HTTP/2: the frame codec and the stream multiplexer on
 * the connection; each request gets a stream of its own ({@link #initStream}) with the HTTP/1-object codec, so the
 * exchange sees the same messages either way. Stateless and sharable.
 */
@io.netty.channel.ChannelHandler.Sharable
public final class UpstreamChannelInitializer extends ChannelInitializer<Channel> {
    static final String IDLE = "idle";
    private static final int MAX_RESPONSE_HEADER_SIZE = 64 * 1024;
    /** The windows of a health check's own connection, whose answers are small. */
    private static final UpstreamHttp2Config CHECK_WINDOWS = UpstreamHttp2Config.withStreamWindow(
            UpstreamHttp2Config.MIN_WINDOW, 2);
    private final long idleNanos;
    private final UpstreamProtocol protocol;
    private final UpstreamHttp2Config windows;

    public UpstreamChannelInitializer(ClusterTimeouts timeouts) {
        this(timeouts, UpstreamProtocol.HTTP1, UpstreamHttp2Config.defaults(1));
    }

    public UpstreamChannelInitializer(ClusterTimeouts timeouts, UpstreamProtocol protocol,
                                      UpstreamHttp2Config windows) {
        this.idleNanos = timeouts.idle().toNanos();
        this.protocol = protocol;
        this.windows = windows;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (protocol == UpstreamProtocol.H2) {
            // the HTTP/2 handlers come once the connection is up (and its TLS handshake done): see addHttp2
            return;
        }
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxHeaderSize(MAX_RESPONSE_HEADER_SIZE)
                .setMaxInitialLineLength(8192)
                .setMaxChunkSize(64 * 1024);
        ch.pipeline().addLast("codec", new HttpClientCodec(decoder, false, false));
        ch.pipeline().addLast(IDLE, new IdleTimeout(idleNanos));
    }

    /** Makes an established connection of the pool speak HTTP/2, with the cluster's windows: see below. */
    void addPooledHttp2(Channel ch) {
        addHttp2(ch, windows);
    }

    /** {@link #addHttp2(Channel, UpstreamHttp2Config)} for a health check's connection. */
    public static void addHttp2(Channel ch) {
        addHttp2(ch, CHECK_WINDOWS);
    }

    /**
     * Makes an established connection speak HTTP/2: the frame codec, which sends the connection preface now, and
     * the stream multiplexer. Added after TCP and TLS are up, so the preface cannot overtake the TLS handshake.
     * The preface's SETTINGS offer the stream window ({@code SETTINGS_INITIAL_WINDOW_SIZE}) and refuse pushes; the
     * codec then opens the connection window to twice the stream window, and a {@code WINDOW_UPDATE} here opens it
     * the rest of the way. Must run on the connection's event loop.
     */
    static void addHttp2(Channel ch, UpstreamHttp2Config windows) {
        Http2Settings settings = Http2Settings.defaultSettings()
                .initialWindowSize(windows.initialStreamWindow())
                .pushEnabled(false);
        Http2FrameCodec codec = Http2FrameCodecBuilder.forClient().initialSettings(settings).build();
        ch.pipeline().addLast("codec", codec);
        // requests are written in the client connections' reads, outside this connection's read loop, where each
        // stream's flush would be a write to the socket of its own: they are gathered into one, run after the
        // event loop's current batch of reads (and at once every 64 flushes)
        ch.pipeline().addLast("flushes", new FlushConsolidationHandler(64, true));
        // a stream the server opens anyway is refused by closing it
        ch.pipeline().addLast("streams", new Http2MultiplexHandler(new RefusePushes()));
        Http2Connection connection = codec.connection();
        Http2LocalFlowController flow = connection.local().flowController();
        int more = windows.connectionWindow() - flow.initialWindowSize(connection.connectionStream());
        if (more > 0) {
            try {
                flow.incrementWindowSize(connection.connectionStream(), more);
            } catch (Http2Exception e) {
                // the config keeps the window below 2^31, so this cannot happen; were it to, the connection closes
                // and its waiting requests fail over as for any connection lost before use
                ch.close();
                return;
            }
            ch.flush();
        }
    }

    /** The pipeline of one HTTP/2 request stream: HTTP/1 objects both ways, the idle timer, the exchange. */
    void initStream(Channel stream, Http2Stream lease) {
        // Netty gives a stream channel the JVM-wide default allocator; it allocates as its connection does
        stream.config().setAllocator(stream.parent().config().getAllocator());
        stream.pipeline().addLast(WindowUpdateFlusher.INSTANCE);
        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false));
        stream.pipeline().addLast(Http2MessageParts.INSTANCE);
        stream.pipeline().addLast(IDLE, new IdleTimeout(idleNanos));
        stream.pipeline().addLast(new UpstreamHandler(lease));
    }

    boolean isHttp2() {
        return protocol == UpstreamProtocol.H2;
    }

    @io.netty.channel.ChannelHandler.Sharable
    private static final class RefusePushes extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.close();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
