package dev.proxy.core.upstream;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.HttpConversionUtil;

/**
 * Sits after an HTTP/2 stream's frame-to-HTTP codec, on either side of the proxy, so the engine sees what HTTP/1.1's
 * decoder gives it. It removes what the conversion adds for its own bookkeeping ({@code x-http2-stream-id},
 * {@code x-http2-scheme}, ...), so it never travels on, and {@code Upgrade}, which HTTP/2 has no use for. And a
 * HEADERS frame that ends the stream, which the codec hands over as one full message (a body-less request, or a
 * gRPC "trailers-only" answer), is split into a head and its last part, the way the exchange reads every message.
 */
@ChannelHandler.Sharable
public final class Http2MessageParts extends ChannelInboundHandlerAdapter {
    public static final Http2MessageParts INSTANCE = new Http2MessageParts();

    private Http2MessageParts() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpMessage m) {
            HttpHeaders h = m.headers();
            for (HttpConversionUtil.ExtensionHeaderNames name : HttpConversionUtil.ExtensionHeaderNames.values()) {
                h.remove(name.text());
            }
            h.remove(HttpHeaderNames.UPGRADE);
        }
        if (msg instanceof FullHttpRequest full) {
            HttpRequest head = new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(),
                    full.headers());
            head.setDecoderResult(full.decoderResult());
            ctx.fireChannelRead(head);
            ctx.fireChannelRead(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
        } else if (msg instanceof FullHttpResponse full) {
            DefaultHttpResponse head = new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers());
            head.setDecoderResult(full.decoderResult());
            ctx.fireChannelRead(head);
            ctx.fireChannelRead(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
        } else {
            ctx.fireChannelRead(msg);
        }
    }
}
