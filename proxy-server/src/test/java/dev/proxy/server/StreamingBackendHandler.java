package dev.proxy.server;

import dev.proxy.core.testing.TestBackend;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/**
 * A streaming backend behind an {@code HttpServerCodec}, never aggregating: {@code POST /upload} counts the body
 * bytes and their CRC32 as they pass and answers {@code "<count> <crc32>"}; {@code GET /download} sends
 * {@link #DOWNLOAD_LENGTH} bytes of {@link BytePattern} with a Content-Length, a chunk at a time, writing only while
 * the channel is writable and resuming when it becomes writable again. Anything else is 404.
 *
 * <p>One per connection; runs on its event loop. Releases every message it reads; the chunks it writes are
 * released by the encoder.
 */
final class StreamingBackendHandler extends ChannelInboundHandlerAdapter {
    static final long DOWNLOAD_LENGTH = 1L << 30;
    private static final int CHUNK = 64 * 1024;

    private final CRC32 crc = new CRC32();
    private boolean uploading;
    private long received;
    private boolean downloading;
    private long sent;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest request) {
                onRequest(ctx, request);
            }
            if (msg instanceof HttpContent content && uploading) {
                onUploadContent(ctx, content);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(ChannelHandlerContext ctx, HttpRequest request) {
        if (request.method().equals(HttpMethod.POST) && request.uri().equals("/upload")) {
            uploading = true;
            received = 0;
            crc.reset();
        } else if (request.method().equals(HttpMethod.GET) && request.uri().equals("/download")) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
            HttpUtil.setContentLength(head, DOWNLOAD_LENGTH);
            ctx.write(head);
            downloading = true;
            sent = 0;
            writeWhileWritable(ctx);
        } else {
            ctx.writeAndFlush(TestBackend.text(HttpResponseStatus.NOT_FOUND, "no such path\n", true));
        }
    }

    private void onUploadContent(ChannelHandlerContext ctx, HttpContent content) {
        ByteBuf buf = content.content();
        received += buf.readableBytes();
        for (ByteBuffer b : buf.nioBuffers()) {
            crc.update(b);
        }
        if (content instanceof LastHttpContent) {
            uploading = false;
            ctx.writeAndFlush(TestBackend.text(HttpResponseStatus.OK, received + " " + crc.getValue(), true));
        }
    }

    /** Writes chunks until the outbound buffer is above its high water mark or the body is all written. */
    private void writeWhileWritable(ChannelHandlerContext ctx) {
        while (downloading && ctx.channel().isWritable()) {
            int n = (int) Math.min(CHUNK, DOWNLOAD_LENGTH - sent);
            ByteBuf chunk = ctx.alloc().buffer(n);
            BytePattern.write(sent, chunk, n);
            sent += n;
            if (sent == DOWNLOAD_LENGTH) {
                downloading = false;
                ctx.write(new DefaultHttpContent(chunk));
                ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                ctx.write(new DefaultHttpContent(chunk));
            }
        }
        ctx.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (downloading && ctx.channel().isWritable()) {
            writeWhileWritable(ctx);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        downloading = false;
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
