package dev.proxy.core.engine;

import dev.proxy.core.config.Http2Config;
import dev.proxy.core.observe.ProxyObserver;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateEvent;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/2 towards a client. The connection's pipeline gets the frame codec (settings, flow control, the limits of
 * {@link Http2Config}, Netty's rapid-reset guard) and the multiplexer, which gives each stream a child channel on the
 * connection's own event loop (so a stream and the upstream connections it leases share a loop, as on HTTP/1.1).
 * Each child channel turns frames into {@code HttpRequest}/{@code HttpContent} and back ({@link Http2StreamCodec}),
 * and is served by a {@link FrontendHandler} in stream mode: every stream is one {@link ProxyExchange} through the
 * same routes, filters and HTTP/1.1 upstream pools. A client's protocol error is answered with RFC 9113's code, never
 * a response: a stream error resets its stream ({@code ConnectionHandler#exceptionCaught}) and ends its exchange
 * ({@link FrontendHandler#exceptionCaught}), a connection error closes the connection with
 * GOAWAY (the codec; {@link Http2StreamStateGuard} for HEADERS on ended, closed or skipped streams); each is counted
 * ({@link ProxyObserver#http2ProtocolError}). Stateless and shared by all connections.
 */
final class Http2Frontend {
    private static final Logger log = LoggerFactory.getLogger(Http2Frontend.class);
    static final String CODEC = "h2";
    static final String CONNECTION = "h2-connection";
    static final String STREAMS = "h2-streams";
    static final String FLUSHES = "h2-flushes";
    private static final int FLUSHES_GATHERED = 64;

    private final ProxyServer server;
    private final Http2Config config;
    private final long drainMillis;
    private final ChannelHandler streamInitializer = new StreamInitializer();
    private final ChannelHandler connectionErrors;

    Http2Frontend(ProxyServer server, Http2Config config, Duration drainGracePeriod) {
        this.server = server;
        this.config = config;
        this.drainMillis = drainGracePeriod.toMillis();
        this.connectionErrors = new ConnectionErrors(server.observer());
    }

    /** Adds the connection's HTTP/2 handlers at the end of {@code p}, where the preface is read next. */
    void install(ChannelPipeline p) {
        Http2Settings settings = Http2Settings.defaultSettings()
                .maxConcurrentStreams(config.maxConcurrentStreams())
                .maxHeaderListSize(config.maxHeaderListSize())
                .initialWindowSize(config.initialWindowSize());
        Http2StreamStateGuard guard = new Http2StreamStateGuard();
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(settings)
                .validateHeaders(true)
                // a request without :method, :scheme or :path (RFC 9113 §8.3.1) is reset with PROTOCOL_ERROR by the
                // codec, before a stream channel or an exchange sees it
                .validateRequiredPseudoHeaders(true)
                // a client that opens streams and resets them at once makes the proxy start work it never
                // finishes, without ever hitting maxConcurrentStreams: above this rate it gets GOAWAY
                // ENHANCE_YOUR_CALM
                .decoderEnforceMaxRstFramesPerWindow(config.maxResetsPerWindow(),
                        (int) config.resetWindow().toSeconds())
                // closing the connection (draining) sends GOAWAY and lets open streams finish for this long
                .gracefulShutdownTimeoutMillis(drainMillis)
                // HEADERS on an ended, closed or skipped stream get RFC 9113's answer rather than the decoder's
                .frameLogger(guard)
                .build();
        guard.watch(codec.connection());
        // draining: closing the connection sends GOAWAY, new streams are refused and open ones finish
        Drain.set(p.channel(), p.channel()::close);
        p.addLast(CODEC, codec)
                // a stream's response mostly ends in an upstream connection's read, outside this connection's read
                // loop, where each stream's flush would be a write to the socket of its own: the streams' flushes
                // are gathered into one, run after the event loop's current batch of reads (and at once every
                // FLUSHES_GATHERED flushes, so a long batch does not hold the client's responses back)
                .addLast(FLUSHES, new FlushConsolidationHandler(FLUSHES_GATHERED, true))
                .addLast(CONNECTION, new ConnectionHandler(codec, server.observer()))
                .addLast(STREAMS, new Http2MultiplexHandler(streamInitializer))
                .addLast("h2-errors", connectionErrors);
    }

    /**
     * The end of the connection's pipeline. The codec passes a protocol error on <em>before</em> it answers it
     * (GOAWAY with the error's code, or RST_STREAM for a stream's), so those are left to it: closing here would send
     * a graceful GOAWAY (NO_ERROR) first. A connection error is counted by its code. Any other failure (a broken
     * socket) closes the connection. Either is the client's doing, not the proxy's, so it is logged at debug.
     * Sharable: one per listener.
     */
    @ChannelHandler.Sharable
    private static final class ConnectionErrors extends ChannelInboundHandlerAdapter {
        private final ProxyObserver observer;

        ConnectionErrors(ProxyObserver observer) {
            this.observer = observer;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP/2 client connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            Http2Exception protocolError = Http2CodecUtil.getEmbeddedHttp2Exception(cause);
            if (protocolError == null) {
                ctx.close();
            } else if (!(protocolError instanceof Http2Exception.StreamException)) {
                observer.http2ProtocolError(protocolError.error(), true);
            }
        }
    }

    /**
     * Connection-wide concerns: the idle timer, which closes a connection with
     * no stream open (a stream in progress has its own bounds, the route deadline and the upstream timeouts, so an
     * idle connection with streams open is left to them); counting the client's stream resets, which pass here on
     * their way to the streams' channels.
     */
    private static final class ConnectionHandler extends ChannelInboundHandlerAdapter {
        private final Http2FrameCodec codec;
        private final ProxyObserver observer;

        ConnectionHandler(Http2FrameCodec codec, ProxyObserver observer) {
            this.codec = codec;
            this.observer = observer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2ResetFrame) {
                observer.http2StreamReset();
            }
            ctx.fireChannelRead(msg);
        }

        /**
         * A client's stream error on a stream the codec knows is handed to the stream's channel, which resets it
         * with the error's code, except when the stream has already written its whole response and waits only for
         * the flush (gathered, see {@link #FLUSHES}): its channel's output is closed, so the stream would end
         * without the RST_STREAM RFC 9113 asks for (h2spec 5.1/5: DATA on a half-closed stream). Reset here, with
         * the error's code, before the stream's channel hears of it; Netty sends at most one RST_STREAM per stream.
         */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof Http2FrameStreamException e) {
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(e.error()).stream(e.stream()));
            }
            ctx.fireExceptionCaught(cause);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                if (codec.connection().numActiveStreams() == 0) {
                    ctx.close();
                }
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }
    }

    /** Builds each stream's child channel pipeline. */
    @ChannelHandler.Sharable
    private final class StreamInitializer extends ChannelInitializer<Http2StreamChannel> {
        @Override
        protected void initChannel(Http2StreamChannel ch) {
            server.observer().http2StreamOpened();
            // Netty gives a stream channel the JVM-wide default allocator; it allocates as its connection does
            ch.config().setAllocator(ch.parent().config().getAllocator());
            ch.pipeline()
                    .addLast(FrontendInitializer.CODEC, new Http2StreamCodec())
                    .addLast(FrontendInitializer.PROXY, FrontendHandler.forStream(server));
        }
    }
}
