package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A client stream's frames to HTTP objects and back, on an embedded channel. */
class Http2StreamCodecTest {
    private final EmbeddedChannel stream = new EmbeddedChannel(new Http2StreamCodec());

    @AfterEach
    void releaseAll() {
        stream.finishAndReleaseAll();
    }

    @Test
    void aHeadersFrameThatEndsTheStreamIsReadAsAHeadAndAnEmptyLastPart() {
        stream.writeInbound(new DefaultHttp2HeadersFrame(request("GET").add("upgrade", "h2c"), true));
        HttpRequest head = stream.readInbound();
        assertThat(head.method().name()).isEqualTo("GET");
        assertThat(head.uri()).isEqualTo("/a?b=c");
        assertThat(head.headers().get(HttpHeaderNames.HOST)).isEqualTo("example.com");
        assertThat(head.headers().get("x-custom")).isEqualTo("1");
        // the conversion's bookkeeping and Upgrade never travel on, and a body-less request is not chunked
        assertThat(head.headers().names()).noneMatch(n -> n.startsWith("x-http2-"));
        assertThat(head.headers().contains(HttpHeaderNames.UPGRADE)).isFalse();
        assertThat(head.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)).isFalse();
        LastHttpContent end = stream.readInbound();
        assertThat(end.content().isReadable()).isFalse();
        assertThat((Object) stream.readInbound()).isNull();
    }

    @Test
    void aBodyWithoutLengthIsChunkedAndItsDataFramesBecomeParts() {
        stream.writeInbound(new DefaultHttp2HeadersFrame(request("POST"), false));
        HttpRequest head = stream.readInbound();
        assertThat(head.headers().get(HttpHeaderNames.TRANSFER_ENCODING)).isEqualTo("chunked");
        stream.writeInbound(new DefaultHttp2DataFrame(bytes("ab"), false));
        stream.writeInbound(new DefaultHttp2DataFrame(bytes("c"), true));
        HttpContent part = stream.readInbound();
        assertThat(part).isNotInstanceOf(LastHttpContent.class);
        assertThat(part.content().toString(StandardCharsets.US_ASCII)).isEqualTo("ab");
        part.release();
        LastHttpContent last = stream.readInbound();
        assertThat(last.content().toString(StandardCharsets.US_ASCII)).isEqualTo("c");
        last.release();
    }

    @Test
    void aBodyWithALengthIsNotChunked() {
        stream.writeInbound(new DefaultHttp2HeadersFrame(request("POST").add("content-length", "3"), false));
        HttpRequest head = stream.readInbound();
        assertThat(head.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)).isFalse();
    }

    @Test
    void trailersAreReadAsTheLastPart() {
        stream.writeInbound(new DefaultHttp2HeadersFrame(request("POST"), false));
        stream.readInbound();
        stream.writeInbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().add("grpc-status", "0"), true));
        LastHttpContent last = stream.readInbound();
        assertThat(last.trailingHeaders().get("grpc-status")).isEqualTo("0");
    }

    @Test
    void aResetFrameIsReleasedNotPassedOn() {
        stream.writeInbound(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        assertThat((Object) stream.readInbound()).isNull();
    }

    @Test
    void aHeadFollowedByAnEmptyEndIsOneHeadersFrameThatEndsTheStream() {
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().add("grpc-status", "14");
        stream.write(head);
        stream.writeAndFlush(new DefaultLastHttpContent());
        Http2HeadersFrame frame = stream.readOutbound();
        assertThat(frame.isEndStream()).isTrue();
        assertThat(frame.headers().status().toString()).isEqualTo("200");
        assertThat(frame.headers().get("grpc-status").toString()).isEqualTo("14");
        assertThat((Object) stream.readOutbound()).isNull();
    }

    @Test
    void aHeadIsHeldOnlyUntilTheNextFlush() {
        stream.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        assertThat((Object) stream.readOutbound()).isNull();
        stream.flush();
        Http2HeadersFrame frame = stream.readOutbound();
        assertThat(frame.isEndStream()).isFalse();
    }

    @Test
    void aStreamedResponseIsHeadersThenDataFramesThenTrailers() {
        stream.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        stream.write(new DefaultHttpContent(bytes("abc")));
        LastHttpContent end = new DefaultLastHttpContent(bytes("de"));
        end.trailingHeaders().add("grpc-status", "0");
        stream.writeAndFlush(end);
        Http2HeadersFrame headers = stream.readOutbound();
        assertThat(headers.isEndStream()).isFalse();
        Http2DataFrame first = stream.readOutbound();
        assertThat(first.content().toString(StandardCharsets.US_ASCII)).isEqualTo("abc");
        assertThat(first.isEndStream()).isFalse();
        first.release();
        Http2DataFrame second = stream.readOutbound();
        assertThat(second.content().toString(StandardCharsets.US_ASCII)).isEqualTo("de");
        assertThat(second.isEndStream()).isFalse();
        second.release();
        Http2HeadersFrame trailers = stream.readOutbound();
        assertThat(trailers.isEndStream()).isTrue();
        assertThat(trailers.headers().get("grpc-status").toString()).isEqualTo("0");
    }

    @Test
    void anEmptyEndAfterTheBodyIsAnEmptyDataFrameThatEndsTheStream() {
        stream.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        stream.write(new DefaultHttpContent(bytes("abc")));
        stream.writeAndFlush(new DefaultLastHttpContent());
        stream.<Http2HeadersFrame>readOutbound();
        stream.<Http2DataFrame>readOutbound().release();
        Http2DataFrame end = stream.readOutbound();
        assertThat(end.isEndStream()).isTrue();
        assertThat(end.content().isReadable()).isFalse();
        end.release();
    }

    @Test
    void aFullResponseWithABodyIsHeadersAndOneDataFrame() {
        DefaultFullHttpResponse full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.NOT_FOUND, bytes("gone"));
        full.headers().add("content-type", "text/plain");
        stream.writeAndFlush(full);
        Http2HeadersFrame headers = stream.readOutbound();
        assertThat(headers.isEndStream()).isFalse();
        assertThat(headers.headers().status().toString()).isEqualTo("404");
        Http2DataFrame body = stream.readOutbound();
        assertThat(body.isEndStream()).isTrue();
        assertThat(body.content().toString(StandardCharsets.US_ASCII)).isEqualTo("gone");
        body.release();
        assertThat(full.refCnt()).isZero();
    }

    @Test
    void aFullResponseWithoutABodyIsOneHeadersFrame() {
        stream.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT));
        Http2HeadersFrame headers = stream.readOutbound();
        assertThat(headers.isEndStream()).isTrue();
        assertThat((Object) stream.readOutbound()).isNull();
    }

    @Test
    void aContinueIsAHeadersFrameThatLeavesTheStreamOpen() {
        stream.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        Http2HeadersFrame headers = stream.readOutbound();
        assertThat(headers.isEndStream()).isFalse();
        assertThat(headers.headers().status().toString()).isEqualTo("100");
    }

    private static Http2Headers request(String method) {
        return new DefaultHttp2Headers().method(method).scheme("https").authority("example.com").path("/a?b=c")
                .add("x-custom", "1");
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }
}
