package dev.proxy.core.engine;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.core.runtime.RouteTarget;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import java.util.Optional;

/**
 * The routing phase of one exchange: the head checked ({@link RequestHeadCheck}), given its request id, the client
 * certificate's identity put in its header, then matched against the snapshot's routes and checked against the
 * route's body limit. What it learns goes to the exchange's {@link ExchangeFacts}; the result is a refusal or a route.
 */
final class Routing {

    /** A refusal ({@code error}, closing the connection or not), or the route found; {@code expectsContinue} either way. */
    record Result(ProxyError error, boolean closesConnection, boolean expectsContinue) {
        static final Result ROUTED = new Result(null, false, false);
        static final Result ROUTED_EXPECTING_CONTINUE = new Result(null, false, true);
    }

    private Routing() {
    }

    static Result route(ConfigSnapshot snapshot, ExchangeFacts facts) {
        HttpRequest request = facts.request();
        HttpProtocol protocol = facts.protocol();
        ProxyError framing = RequestHeadCheck.framing(request, protocol);
        if (framing != null) {
            return new Result(framing, true, false);
        }
        facts.requestId(RequestIds.assign(request.headers(), snapshot.config().server().requestId()));
        RequestHeadCheck.Result head = RequestHeadCheck.target(request, protocol);
        if (head.error() != null) {
            return new Result(head.error(), head.closesConnection(), false);
        }
        facts.clientSide().identity().applyTo(request);
        Optional<RouteTarget> routed = snapshot.match(head.target().host(), head.target().path(),
                request.method().name(), request.headers());
        if (routed.isEmpty()) {
            return new Result(ProxyError.NO_ROUTE, false, head.expectsContinue());
        }
        facts.routed(routed.get(), head.target());
        if (HttpUtil.getContentLength(request, 0L) > facts.route().maxBodySize()) {
            return new Result(ProxyError.BODY_TOO_LARGE, false, head.expectsContinue());
        }
        return head.expectsContinue() ? Result.ROUTED_EXPECTING_CONTINUE : Result.ROUTED;
    }
}
