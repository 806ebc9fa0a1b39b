package dev.proxy.core.engine;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.engine.ClientSide.ReadPause;
import dev.proxy.core.filter.Verdict;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The client's end of one exchange's answer: whether the client connection stays open after it, the request id
 * echoed on every response, the {@code 100 Continue} the proxy sends for the upstream, and the responses the proxy
 * makes itself (errors, redirects, direct responses), written with the decision about an unread body.
 * Confined to the client's event loop.
 */
final class ClientReply {
    /** A body this small, still unread when the proxy answers early, is read and dropped to keep the connection. */
    private static final long DISCARD_LIMIT = 64 * 1024;

    private final ClientSide frontend;
    private final Channel client;
    private final HttpRequest request;
    private final HttpProtocol protocol;
    private final RequestBody body;
    private final ResponseRelay response;
    private final ExchangeFacts facts;
    private boolean keepAlive;
    private boolean expectContinue;

    ClientReply(ExchangeFacts facts) {
        this.frontend = facts.clientSide();
        this.client = facts.channel();
        this.request = facts.request();
        this.protocol = facts.protocol();
        this.body = facts.body();
        this.response = facts.response();
        this.facts = facts;
        // keep-alive is an HTTP/1 connection's; a stream ends by itself and has no Connection header to read
        this.keepAlive = protocol == HttpProtocol.HTTP_2 || HttpUtil.isKeepAlive(request);
    }

    /** Whether the client connection may serve another request after this response. */
    boolean keepAlive() {
        return keepAlive;
    }

    /** The client connection closes after this response. */
    void closeAfter() {
        keepAlive = false;
    }

    /** The client waits for a 100 Continue before sending its body, which {@link #sendContinue} sends. */
    void expectsContinue() {
        expectContinue = true;
    }

    /** The request is about to go upstream: a client waiting for leave to send its body gets it now. */
    void sendContinue() {
        if (expectContinue) {
            client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
    }

    /** Tells the client the request's id; before the route's response edits, which may remove it. */
    void echoRequestId(HttpResponse head) {
        if (facts.requestId() != null) {
            head.headers().set(MessageHeaders.X_REQUEST_ID, facts.requestId());
        }
    }

    /**
     * Writes the proxy's error response for {@code error} (gRPC's trailers-only form for a gRPC call), with the
     * status and headers of the filter verdict that rejected the request if one did; not flushed.
     */
    void writeError(ProxyError error, Verdict rejection) {
        HttpResponseStatus status = rejection != null && rejection.status() != null ? rejection.status()
                : error.status();
        boolean keepOpen = decideKeepAlive();
        FullHttpResponse r = ErrorResponses.of(error, status, rejection == null ? null : rejection.headers(),
                keepOpen, Grpc.isGrpc(request), client.alloc());
        echoRequestId(r);
        write(status.code(), r);
    }

    /** Writes the route's own answer ({@code redirect} or {@code directResponse}), its header edits applied. */
    void writeRouteAnswer() {
        RouteConfig route = facts.route();
        int code = route.redirect().map(r -> r.status())
                .orElseGet(() -> route.directResponse().orElseThrow().status());
        boolean keepOpen = decideKeepAlive();
        FullHttpResponse r = LocalAnswers.of(route, facts.target().directBody(), facts.requestTarget(),
                frontend.identity().isTls(), HttpMethod.HEAD.equals(request.method()), keepOpen);
        echoRequestId(r);
        facts.target().responseHeaders().apply(r.headers(), facts);
        write(code, r);
    }

    /**
     * Whether the connection stays open after a response the proxy makes itself: not when a large (or unknown, or
     * awaited with Expect) body is still unread, nor while draining. A stream needs no Connection: close to end.
     */
    private boolean decideKeepAlive() {
        if (MessageHeaders.hasBody(request) && !body.isComplete()) {
            long length = MessageHeaders.contentLength(request);
            if (expectContinue || length <= 0 || length - body.bytes() > DISCARD_LIMIT) {
                keepAlive = false;
            }
        }
        if (frontend.isDraining()) {
            keepAlive = false;
        }
        return keepAlive || protocol == HttpProtocol.HTTP_2;
    }

    /**
     * @param code the status the exchange reports (an error's, even where gRPC gets a 200 trailers-only answer)
     */
    private void write(int code, FullHttpResponse r) {
        response.answeredByProxy(code);
        client.write(r);
        body.discardRest();
        // the rest of a small body is read and dropped, so reading must resume whatever paused it
        frontend.pauseReading(ReadPause.CONNECTING, false);
        frontend.pauseReading(ReadPause.UPSTREAM_BUSY, false);
    }
}
