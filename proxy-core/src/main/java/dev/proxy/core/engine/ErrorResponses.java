package dev.proxy.core.engine;

import dev.proxy.core.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/** The responses the proxy writes itself: a short text body and the reason in {@code x-proxy-error}. */
final class ErrorResponses {
    static final AsciiString X_PROXY_ERROR = AsciiString.cached("x-proxy-error");

    private ErrorResponses() {
    }

    /** A new response; the caller owns it and passes it to a channel write. */
    static FullHttpResponse of(ProxyError error, boolean keepAlive, ByteBufAllocator alloc) {
        return of(error, error.status(), null, keepAlive, alloc);
    }

    /**
     * A new response with {@code error}'s reason but this status, and these extra headers (may be null); the caller
     * owns it and passes it to a channel write.
     */
    static FullHttpResponse of(ProxyError error, HttpResponseStatus status, HttpHeaders extra, boolean keepAlive,
                               ByteBufAllocator alloc) {
        return of(error, status, extra, keepAlive, false, alloc);
    }

    /**
     * As {@link #of(ProxyError, HttpResponseStatus, HttpHeaders, boolean, ByteBufAllocator)}, but for a gRPC call
     * ({@code grpc}) the answer is gRPC's "trailers-only" one: {@code 200}, no body, {@code grpc-status} from
     * {@link ProxyError#grpcStatus} and the reason in {@code grpc-message}; gRPC clients read nothing else.
     */
    static FullHttpResponse of(ProxyError error, HttpResponseStatus status, HttpHeaders extra, boolean keepAlive,
                               boolean grpc, ByteBufAllocator alloc) {
        if (grpc) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.EMPTY_BUFFER);
            if (extra != null) {
                response.headers().add(extra);
            }
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, Grpc.CONTENT_TYPE)
                    .setInt(Grpc.GRPC_STATUS, error.grpcStatus())
                    .set(Grpc.GRPC_MESSAGE, error.reason())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 0)
                    .set(X_PROXY_ERROR, error.reason());
            if (!keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            return response;
        }
        String text = status.code() + " " + status.reasonPhrase() + ": " + error.reason() + "\n";
        ByteBuf body = alloc.buffer(text.length());
        body.writeCharSequence(text, StandardCharsets.US_ASCII);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        if (extra != null) {
            response.headers().add(extra);
        }
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(X_PROXY_ERROR, error.reason());
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /** The raw bytes of a 408 with {@code Connection: close}, for a client that never finished its request head. */
    static ByteBuf rawRequestTimeout(ByteBufAllocator alloc) {
        String text = "HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\nx-proxy-error: "
                + ProxyError.REQUEST_HEADER_TIMEOUT.reason() + "\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        ByteBuf buf = alloc.buffer(text.length());
        buf.writeCharSequence(text, StandardCharsets.US_ASCII);
        return buf;
    }
}
