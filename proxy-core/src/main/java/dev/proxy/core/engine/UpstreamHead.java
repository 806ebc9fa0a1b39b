package dev.proxy.core.engine;

import dev.proxy.core.config.PathMatch;
import dev.proxy.core.config.RouteConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The request head as the upstream gets it, as pure functions of the client's head and the route: the Host, the
 * rewritten path, the deadline header, and whether the method may be sent twice. Unit tests call them without
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

    /** The path sent upstream: a prefix route's {@code rewrite.pathPrefix} replaces the prefix it matched. */
    static String path(RouteConfig route, String path) {
        Optional<String> rewrite = route.rewrite().pathPrefix();
        return rewrite.isEmpty() ? path : replacePrefix(route, path, rewrite.get());
    }

    /**
     * {@code path} with the prefix its route matched replaced by {@code prefix} (a route that does not match by
     * prefix leaves it alone); one slash where both the new prefix ends and the rest starts with one, and {@code /}
     * for nothing at all. Shared by {@code rewrite.pathPrefix} and a redirect's {@code prefixRewrite}.
     */
    static String replacePrefix(RouteConfig route, String path, String prefix) {
        if (route.match().path().kind() != PathMatch.Kind.PREFIX) {
            return path;
        }
        String rest = path.substring(route.match().path().value().length());
        if (prefix.endsWith("/") && rest.startsWith("/")) {
            return prefix + rest.substring(1);
        }
        String result = prefix + rest;
        return result.isEmpty() ? "/" : result;
    }

    /**
     * Tells the upstream, in the route's {@code deadlineHeader} if it has one, the milliseconds left of the route's
     * deadline (at least 1): set again on each attempt, as the time left shrinks.
     */
    static void setDeadline(RouteConfig route, HttpRequest request, long remainingNanos) {
        route.policies().deadlineHeader().ifPresent(name -> request.headers().set(name,
                Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos))));
    }

    /** Whether a request with this method may be sent again after it reached an upstream (RFC 9110 §9.2.2). */
    static boolean isIdempotent(HttpMethod m) {
        return m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD) || m.equals(HttpMethod.OPTIONS)
                || m.equals(HttpMethod.PUT) || m.equals(HttpMethod.DELETE) || m.equals(HttpMethod.TRACE);
    }
}
