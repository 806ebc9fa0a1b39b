package dev.proxy.core.upstream;

import dev.proxy.core.config.ClusterTimeouts;
import dev.proxy.core.config.UpstreamProtocol;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

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
    private final long idleNanos;
    private final UpstreamProtocol protocol;

    public UpstreamChannelInitializer(ClusterTimeouts timeouts) {
        this(timeouts, UpstreamProtocol.HTTP1);
    }

    public UpstreamChannelInitializer(ClusterTimeouts timeouts, UpstreamProtocol protocol) {
        this.idleNanos = timeouts.idle().toNanos();
        this.protocol = protocol;
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
        ch.pipeline().addLast(IDLE, new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS));
    }

    /**
     * Makes an established connection speak HTTP/2: the frame codec, which sends the connection preface now, and
     * the stream multiplexer. Added after TCP and TLS are up, so the preface cannot overtake the TLS handshake.
     * Public for the health checks, which open their own connections.
     */
    public static void addHttp2(Channel ch) {
        ch.pipeline().addLast("codec", Http2FrameCodecBuilder.forClient().build());
        // the proxy asks for no pushes; a stream the server opens anyway is refused by closing it
        ch.pipeline().addLast("streams", new Http2MultiplexHandler(new RefusePushes()));
    }

    /** The pipeline of one HTTP/2 request stream: HTTP/1 objects both ways, the idle timer, the exchange. */
    void initStream(Channel stream, Http2Stream lease) {
        // Netty gives a stream channel the JVM-wide default allocator; it allocates as its connection does
        stream.config().setAllocator(stream.parent().config().getAllocator());
        stream.pipeline().addLast(WindowUpdateFlusher.INSTANCE);
        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false));
        stream.pipeline().addLast(Http2MessageParts.INSTANCE);
        stream.pipeline().addLast(IDLE, new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS));
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
