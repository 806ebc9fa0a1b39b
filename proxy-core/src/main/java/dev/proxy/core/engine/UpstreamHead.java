package dev.proxy.core.engine;

import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.runtime.RoutePlan;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.concurrent.TimeUnit;

/**
 * The request head as the upstream gets it, as pure functions of the client's head and the route: the Host, the
 * deadline header, and whether the method may be sent twice ({@link RoutePlan#upstreamPath} rewrites the path). Unit tests call them without
 * sockets; {@link MessageHeaders#forRequest} does the header work proper.
 */
final class UpstreamHead {
    private UpstreamHead() {
    }

    /**
     * The Host sent upstream: the route's rewrite, else what the client asked for (an absolute-form URI's authority
     * wins over its Host header), else, for an HTTP/1.0 client that sent none, the endpoint itself.
     */
    static String host(RouteConfig route, RequestTarget target, String endpointAuthority) {
        return route.rewrite().host().orElse(target.originalHost() != null ? target.originalHost() : endpointAuthority);
    }

    /**
     * Tells the upstream, in the route's {@code deadlineHeader} if it has one, the milliseconds left of the route's
     * deadline (at least 1): set again on each attempt, as the time left shrinks.
     */
    static void setDeadline(RoutePlan plan, HttpRequest request, long remainingNanos) {
        if (plan.deadlineHeader().isPresent()) {
            request.headers().set(plan.deadlineHeader().get(),
                    Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos)));
        }
    }

    /** Whether a request with this method may be sent again after it reached an upstream (RFC 9110 §9.2.2). */
    static boolean isIdempotent(HttpMethod m) {
        return m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD) || m.equals(HttpMethod.OPTIONS)
                || m.equals(HttpMethod.PUT) || m.equals(HttpMethod.DELETE) || m.equals(HttpMethod.TRACE);
    }
}
