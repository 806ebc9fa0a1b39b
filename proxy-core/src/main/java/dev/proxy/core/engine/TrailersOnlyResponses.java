package dev.proxy.core.engine;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.PromiseCombiner;

/**
 * On an HTTP/2 stream to a client: a response head followed, before the next flush, by an empty end with no
 * trailers goes out as one HEADERS frame that ends the stream. That is gRPC's "trailers-only" answer (an error status
 * in the headers): sent as HEADERS and then an empty DATA frame, a gRPC client reads a stream that ended without
 * trailers. A head is held at most until the next write or flush, so a streaming response's headers are not
 * delayed. One per stream; runs on its event loop.
 */
final class TrailersOnlyResponses extends ChannelOutboundHandlerAdapter {
    private HttpResponse head;
    private ChannelPromise headPromise;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse r && !(msg instanceof HttpContent)) {
            writeHead(ctx);
            head = r;
            headPromise = promise;
            return;
        }
        if (head != null && msg instanceof LastHttpContent last && !last.content().isReadable()
                && last.trailingHeaders().isEmpty()) {
            DefaultFullHttpResponse whole = new DefaultFullHttpResponse(head.protocolVersion(), head.status(),
                    Unpooled.EMPTY_BUFFER, head.headers(), last.trailingHeaders());
            last.release();
            PromiseCombiner both = new PromiseCombiner(ctx.executor());
            both.add(ctx.write(whole));
            head = null;
            both.finish(headPromise);
            headPromise = null;
            promise.setSuccess();
            return;
        }
        writeHead(ctx);
        ctx.write(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        writeHead(ctx);
        ctx.flush();
    }

    private void writeHead(ChannelHandlerContext ctx) {
        if (head != null) {
            HttpResponse h = head;
            ChannelPromise p = headPromise;
            head = null;
            headPromise = null;
            ctx.write(h, p);
        }
    }
}
