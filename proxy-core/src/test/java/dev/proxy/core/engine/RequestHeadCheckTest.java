package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import org.junit.jupiter.api.Test;

/** The checks of a client's head before routing, without sockets. */
class RequestHeadCheckTest {

    @Test
    void aHeadTheDecoderCouldNotReadIsTheClientsFault() {
        HttpRequest r = get("/");
        r.setDecoderResult(DecoderResult.failure(new TooLongHttpHeaderException("big")));
        assertThat(RequestHeadCheck.framing(r, HttpProtocol.HTTP_1_1)).isEqualTo(ProxyError.HEADERS_TOO_LARGE);
        r.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("garbage")));
        assertThat(RequestHeadCheck.framing(r, HttpProtocol.HTTP_1_1)).isEqualTo(ProxyError.BAD_REQUEST);
    }

    @Test
    void anotherVersionThanHttp1IsRefusedOnAnHttp1Connection() {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.valueOf("HTTP/2.0"), HttpMethod.GET, "/");
        assertThat(RequestHeadCheck.framing(r, HttpProtocol.HTTP_1_1))
                .isEqualTo(ProxyError.HTTP_VERSION_NOT_SUPPORTED);
        assertThat(RequestHeadCheck.framing(get("/"), HttpProtocol.HTTP_1_1)).isNull();
    }

    @Test
    void oneHostIsRequiredExceptFromHttp10AndTwoAreRefused() {
        HttpRequest none = get("/");
        assertThat(RequestHeadCheck.target(none, HttpProtocol.HTTP_1_1).error()).isEqualTo(ProxyError.BAD_REQUEST);
        assertThat(RequestHeadCheck.target(none, HttpProtocol.HTTP_1_1).closesConnection()).isTrue();
        assertThat(RequestHeadCheck.target(none, HttpProtocol.HTTP_1_0).error()).isNull();
        HttpRequest two = get("/");
        two.headers().add(HttpHeaderNames.HOST, "a").add(HttpHeaderNames.HOST, "b");
        assertThat(RequestHeadCheck.target(two, HttpProtocol.HTTP_1_1).error()).isEqualTo(ProxyError.BAD_REQUEST);
    }

    @Test
    void anAbsoluteFormAuthorityWinsOverTheHostHeader() {
        HttpRequest r = get("http://b.example:8080/p?q=1");
        r.headers().set(HttpHeaderNames.HOST, "a.example");
        RequestTarget t = RequestHeadCheck.target(r, HttpProtocol.HTTP_1_1).target();
        assertThat(t.originalHost()).isEqualTo("b.example:8080");
        assertThat(t.path()).isEqualTo("/p");
    }

    @Test
    void onlyExpect100ContinueIsMetAndItsHeaderDoesNotGoUpstream() {
        HttpRequest r = get("/");
        r.headers().set(HttpHeaderNames.HOST, "a").set(HttpHeaderNames.EXPECT, "100-Continue");
        RequestHeadCheck.Result ok = RequestHeadCheck.target(r, HttpProtocol.HTTP_1_1);
        assertThat(ok.expectsContinue()).isTrue();
        assertThat(r.headers().contains(HttpHeaderNames.EXPECT)).isFalse();

        HttpRequest other = get("/");
        other.headers().set(HttpHeaderNames.HOST, "a").set(HttpHeaderNames.EXPECT, "something-else");
        RequestHeadCheck.Result refused = RequestHeadCheck.target(other, HttpProtocol.HTTP_1_1);
        assertThat(refused.error()).isEqualTo(ProxyError.EXPECTATION_FAILED);
        // a refused expectation is not a framing problem: the connection may stay
        assertThat(refused.closesConnection()).isFalse();
    }

    private static HttpRequest get(String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }
}
