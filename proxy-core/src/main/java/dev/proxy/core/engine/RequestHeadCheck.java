package dev.proxy.core.engine;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.List;

/**
 * The checks a client's request head passes before it is routed, as pure functions of the head: unit tests call
 * them without sockets. Every refusal is the client's fault and answered with a 4xx (or 505), never a 500.
 */
final class RequestHeadCheck {

    /**
     * What the head's target and expectations say: where it goes ({@code target}), or the error to answer with;
     * {@code expectsContinue} when the client waits for a 100 Continue before its body.
     */
    record Result(RequestTarget target, ProxyError error, boolean expectsContinue) {
        /** Whether the client connection must close after the refusal: its framing cannot be trusted. */
        boolean closesConnection() {
            return error != null && error != ProxyError.EXPECTATION_FAILED;
        }
    }

    private RequestHeadCheck() {
    }

    /**
     * The head could not be read, or names an HTTP version the proxy does not speak: the error, after which the
     * connection closes; null when the head is well framed.
     */
    static ProxyError framing(HttpRequest request, HttpProtocol protocol) {
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            Throwable cause = decoded.cause();
            return cause instanceof TooLongHttpHeaderException ? ProxyError.HEADERS_TOO_LARGE
                    : cause instanceof TooLongHttpLineException ? ProxyError.URI_TOO_LONG : ProxyError.BAD_REQUEST;
        }
        if (protocol != HttpProtocol.HTTP_2 && !MessageHeaders.isHttp1(request.protocolVersion())) {
            return ProxyError.HTTP_VERSION_NOT_SUPPORTED;
        }
        return null;
    }

    /**
     * The request's target from its URI and its one Host header (none is allowed from an HTTP/1.0 client only), and
     * its {@code Expect}: {@code 100-continue} is the only expectation the proxy meets (it answers it itself, when
     * the request is about to be forwarded), and the header is removed so that the upstream does not answer too.
     */
    static Result target(HttpRequest request, HttpProtocol protocol) {
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (hosts.isEmpty() && protocol != HttpProtocol.HTTP_1_0)) {
            return new Result(null, ProxyError.BAD_REQUEST, false);
        }
        RequestTarget parsed = RequestTarget.parse(request.uri(), hosts.isEmpty() ? null : hosts.get(0));
        if (parsed == null) {
            return new Result(null, ProxyError.BAD_REQUEST, false);
        }
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (expect == null || protocol == HttpProtocol.HTTP_1_0) {
            return new Result(parsed, null, false);
        }
        if (!HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())) {
            return new Result(parsed, ProxyError.EXPECTATION_FAILED, false);
        }
        request.headers().remove(HttpHeaderNames.EXPECT);
        return new Result(parsed, null, true);
    }
}
