package dev.proxy.core.engine;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;

/**
 * Waits for the TLS handshake, then installs the handlers of the protocol ALPN agreed on: {@code h2}, or HTTP/1.1
 * (also when the client named no protocol). Bytes that arrive meanwhile are held and passed on. Leaves the pipeline
 * once it has chosen. One per connection.
 */
final class AlpnNegotiation extends ApplicationProtocolNegotiationHandler {
    private final FrontendInitializer pipelines;

    AlpnNegotiation(FrontendInitializer pipelines) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.pipelines = pipelines;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            pipelines.addHttp2(ctx.pipeline());
        } else {
            pipelines.addHttp1(ctx.pipeline());
        }
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        // TlsHandshakeEvents has counted and logged it already
        ctx.close();
    }
}
