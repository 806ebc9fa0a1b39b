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
                .addLast("idle", new IdleStateHandler(0, 0, limits.idleTimeout().toNanos(), TimeUnit.NANOSECONDS))
                .addLast("header-timeout", headerTimeout)
                .addLast("codec", new HttpServerCodec(decoder))
                .addLast("proxy", new FrontendHandler(server, headerTimeout));
    }
}
