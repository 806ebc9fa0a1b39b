package dev.proxy.core.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * On a plain listener with HTTP/2 on: a connection whose first bytes are the HTTP/2 client preface
 * ({@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}) is h2c with prior knowledge, any other is HTTP/1.1. Decides at the first
 * byte that differs from the preface (for HTTP/1.1, usually the first), installs that protocol's handlers and
 * leaves; the bytes it has read go on to them. The {@code Upgrade: h2c} dance of HTTP/1.1 is not offered: clients
 * that speak h2c use prior knowledge, and the upgrade would tie the first request to HTTP/1.1. One per connection.
 */
final class PriorKnowledgeDetector extends ByteToMessageDecoder {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final FrontendInitializer pipelines;
    /** Before this handler; HTTP/1.1 keeps it, HTTP/2 has no use for it (a HEADERS frame arrives whole). */
    private final RequestHeaderTimeout headerTimeout;

    PriorKnowledgeDetector(FrontendInitializer pipelines, RequestHeaderTimeout headerTimeout) {
        this.pipelines = pipelines;
        this.headerTimeout = headerTimeout;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), PREFACE.length);
        boolean preface = true;
        for (int i = 0; i < n && preface; i++) {
            preface = in.getByte(in.readerIndex() + i) == PREFACE[i];
        }
        if (preface && n < PREFACE.length) {
            return; // so far it could be either
        }
        if (preface) {
            ctx.pipeline().remove(headerTimeout);
            pipelines.addHttp2(ctx.pipeline());
        } else {
            pipelines.addHttp1After(ctx.pipeline(), headerTimeout);
        }
        // what was read here goes on to the new handlers as this decoder leaves
        ctx.pipeline().remove(this);
    }

    /** The idle timer fired before the protocol was known: no handler after this one would close the connection. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }
}
