package dev.proxy.core.engine;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.PromiseCombiner;

/**
 * The one handler between a client's HTTP/2 stream channel and its {@link FrontendHandler}: it turns the stream's
 * frames into what HTTP/1.1's decoder gives the exchange ({@code HttpRequest}, {@code HttpContent}s, a
 * {@code LastHttpContent}) and the exchange's response back into frames. It does in one pipeline step what Netty's
 * {@code Http2StreamFrameToHttpObjectCodec} (server side), the proxy's {@code Http2MessageParts},
 * the trailers-only rule and {@code WindowUpdateFlusher} did in four, with the same results:
 * <ul>
 *   <li>the request head is converted by {@link HttpConversionUtil} (so its checks and errors are Netty's), then
 *   loses what the conversion adds for its own bookkeeping ({@code x-http2-stream-id}, {@code x-http2-scheme}, ...)
 *   and {@code Upgrade}; a head that does not end the stream and has no {@code Content-Length} is marked chunked;
 *   a HEADERS frame that ends the stream gives the head and an empty last part, never a full message;</li>
 *   <li>a response head is held until the next write or flush, so that a head followed by an empty end without
 *   trailers goes out as one HEADERS frame that ends the stream (gRPC's "trailers-only" answer);</li>
 *   <li>each read the stream asks for is followed by a flush that reaches only the stream channel itself, so the
 *   WINDOW_UPDATE the stream owes its peer goes out (see {@code WindowUpdateFlusher} for why).</li>
 * </ul>
 * Other stream frames (a reset, which closes the channel by itself) are released; anything else passes on. One per
 * stream; runs on the connection's event loop. Ownership: each frame's buffer moves into the message made from it,
 * and each written message's buffer into the frame made from it; what is not passed on is released.
 */
final class Http2StreamCodec extends ChannelDuplexHandler {
    private static final HttpConversionUtil.ExtensionHeaderNames[] EXTENSION_HEADERS =
            HttpConversionUtil.ExtensionHeaderNames.values();

    /** The response head held back until the next write or flush, with the promise of its write. */
    private HttpResponse head;
    private ChannelPromise headPromise;

    // ---- inbound: frames to HTTP objects --------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2HeadersFrame headers) {
            readHeaders(ctx, headers);
        } else if (msg instanceof Http2DataFrame data) {
            ctx.fireChannelRead(data.isEndStream()
                    ? new DefaultLastHttpContent(data.content())
                    : new DefaultHttpContent(data.content()));
        } else if (msg instanceof Http2StreamFrame) {
            ReferenceCountUtil.release(msg);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private static void readHeaders(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
        Http2Headers headers = frame.headers();
        int id = frame.stream() == null ? 0 : frame.stream().id();
        boolean trailers = frame.isEndStream() && headers.method() == null && headers.status() == null;
        LastHttpContent last = frame.isEndStream() ? new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER) : null;
        HttpRequest request = null;
        try {
            if (trailers) {
                HttpConversionUtil.addHttp2ToHttpHeaders(id, headers, last.trailingHeaders(), HttpVersion.HTTP_1_1,
                        true, true);
            } else {
                request = HttpConversionUtil.toHttpRequest(id, headers, true);
            }
        } catch (Exception e) {
            // as Netty's decoder fails: the stream's error (an Http2Exception) travels inside
            throw new DecoderException(e);
        }
        if (request != null) {
            HttpHeaders h = request.headers();
            if (last == null && !HttpUtil.isContentLengthSet(request)) {
                h.add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
            for (HttpConversionUtil.ExtensionHeaderNames name : EXTENSION_HEADERS) {
                h.remove(name.text());
            }
            h.remove(HttpHeaderNames.UPGRADE);
            ctx.fireChannelRead(request);
        }
        if (last != null) {
            ctx.fireChannelRead(last);
        }
    }

    // ---- outbound: HTTP objects to frames -------------------------------------------------------------------------

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
            HttpResponse h = head;
            ChannelPromise p = headPromise;
            head = null;
            headPromise = null;
            last.release();
            promise.setSuccess();
            encodeAndWrite(ctx, h, true, p);
            return;
        }
        writeHead(ctx);
        if (msg instanceof HttpObject) {
            encodeAndWrite(ctx, msg, false, promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        writeHead(ctx);
        ctx.flush();
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        ctx.read();
        // from this context towards the channel: flushes the stream channel itself, never the held head
        ctx.flush();
    }

    private void writeHead(ChannelHandlerContext ctx) {
        if (head != null) {
            HttpResponse h = head;
            ChannelPromise p = headPromise;
            head = null;
            headPromise = null;
            encodeAndWrite(ctx, h, false, p);
        }
    }

    /**
     * Writes {@code msg} as its frames, then releases it (each frame holds its own reference to the content).
     * {@code endsStream}: a head whose response has no body, written as one HEADERS frame that ends the stream.
     */
    private static void encodeAndWrite(ChannelHandlerContext ctx, Object msg, boolean endsStream,
                                       ChannelPromise promise) {
        Object first;
        Object second = null;
        try {
            if (msg instanceof HttpResponse res && res.status().codeClass() == HttpStatusClass.INFORMATIONAL
                    && res.status().code() != 101) {
                if (!(res instanceof FullHttpResponse)) {
                    throw new EncoderException(res.status() + " must be a FullHttpResponse");
                }
                first = new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(res, true), false);
            } else if (msg instanceof HttpMessage m) {
                boolean noMoreFrames = endsStream;
                if (msg instanceof FullHttpMessage full) {
                    noMoreFrames = !full.content().isReadable() && full.trailingHeaders().isEmpty();
                }
                first = new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(m, true), noMoreFrames);
                if (msg instanceof LastHttpContent last && !noMoreFrames) {
                    Object[] parts = lastContent(last, true);
                    second = parts[0] != null ? parts[0] : parts[1];
                    if (parts[0] != null && parts[1] != null) {
                        // a full message with a body and trailers: three frames
                        writeAll(ctx, promise, first, parts[0], parts[1]);
                        return;
                    }
                }
            } else if (msg instanceof LastHttpContent last) {
                Object[] parts = lastContent(last, false);
                first = parts[0] != null ? parts[0] : parts[1];
                second = parts[0] != null ? parts[1] : null;
            } else {
                first = new DefaultHttp2DataFrame(((HttpContent) msg).content().retain(), false);
            }
        } catch (RuntimeException e) {
            ReferenceCountUtil.release(msg);
            promise.tryFailure(e instanceof EncoderException ? e : new EncoderException(e));
            return;
        }
        ReferenceCountUtil.release(msg);
        if (second == null) {
            ctx.write(first, promise);
        } else {
            writeAll(ctx, promise, first, second);
        }
    }

    /** The frames of a message's end: its DATA (null when none is needed) and its trailers (null when none). */
    private static Object[] lastContent(LastHttpContent last, boolean fullMessage) {
        boolean noTrailers = last.trailingHeaders().isEmpty();
        // the trailers first: their conversion may fail, and must not leave a retained DATA frame behind
        Object trailers = noTrailers ? null
                : new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(last.trailingHeaders(), true), true);
        boolean needFiller = !fullMessage && noTrailers;
        Object data = last.content().isReadable() || needFiller
                ? new DefaultHttp2DataFrame(last.content().retain(), noTrailers) : null;
        return new Object[] {data, trailers};
    }

    private static void writeAll(ChannelHandlerContext ctx, ChannelPromise promise, Object... frames) {
        PromiseCombiner all = new PromiseCombiner(ctx.executor());
        for (Object frame : frames) {
            all.add(ctx.write(frame));
        }
        all.finish(promise);
    }
}
