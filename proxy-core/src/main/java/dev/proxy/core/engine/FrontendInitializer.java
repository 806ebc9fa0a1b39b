package dev.proxy.core.engine;

import dev.proxy.core.config.LimitsConfig;
import dev.proxy.core.tls.ServerTls;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Builds the pipeline of each accepted client connection: idle timer, header-read timer, HTTP/1.1 codec with the
 * configured limits, then the {@link FrontendHandler}. Stateless and sharable.
 */
@ChannelHandler.Sharable
final class FrontendInitializer extends ChannelInitializer<SocketChannel> {
    static final String IDLE = "idle";
    static final String HEADER_TIMEOUT = "header-timeout";
    static final String CODEC = "codec";
    static final String PROXY = "proxy";
    /** Takes the codec's place while a WebSocket upgrade request awaits its answer: responses only, no decoding. */
    static final String ENCODER = "encoder";
    /** Takes the proxy handler's place once the connection is a WebSocket tunnel. */
    static final String TUNNEL = "tunnel";
    private final ProxyServer server;
    private final LimitsConfig limits;
    private final ServerTls tls;

    /**
     * @param tls the listener's TLS, or null for plain HTTP
     */
    FrontendInitializer(ProxyServer server, LimitsConfig limits, ServerTls tls) {
        this.server = server;
        this.limits = limits;
        this.tls = tls;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (!server.admit(ch)) {
            ch.close();
            return;
        }
        RequestHeaderTimeout headerTimeout = new RequestHeaderTimeout(limits.requestHeaderTimeout().toNanos(),
                server.observer());
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLineSize())
                .setMaxHeaderSize(limits.maxHeaderSize())
                .setMaxChunkSize(64 * 1024)
                .setValidateHeaders(true);
        if (tls != null) {
            // the handshake counts against the header timeout's budget: a client slow to handshake is slowloris too
            ch.pipeline()
                    .addLast("tls", tls.newHandler(limits.requestHeaderTimeout().toMillis()))
                    .addLast("tls-events", new TlsHandshakeEvents(server.observer()));
        }
        ch.pipeline()
                .addLast(IDLE, new IdleStateHandler(0, 0, limits.idleTimeout().toNanos(), TimeUnit.NANOSECONDS))
                .addLast(HEADER_TIMEOUT, headerTimeout)
                .addLast(CODEC, new HttpServerCodec(decoder))
                .addLast(PROXY, new FrontendHandler(server, headerTimeout));
    }
}
