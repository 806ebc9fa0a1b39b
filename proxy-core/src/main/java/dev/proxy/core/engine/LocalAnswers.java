package dev.proxy.core.engine;

import dev.proxy.core.config.DirectResponseConfig;
import dev.proxy.core.config.RedirectConfig;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.runtime.RoutePlan;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The responses a route with {@code redirect} or {@code directResponse} gives without any upstream. Stateless; the
 * caller owns each response it returns and passes it to a channel write.
 */
final class LocalAnswers {
    private LocalAnswers() {
    }

    /**
     * The route's answer to the request.
     *
     * @param directBody the direct response's body as UTF-8, made once per snapshot (shared, never written to)
     * @param tls whether the client came over TLS, the scheme a redirect keeps when it names none
     * @param keepAlive false adds {@code Connection: close}
     */
    static FullHttpResponse of(RouteConfig route, byte[] directBody, RequestTarget target, boolean tls,
                               boolean headRequest, boolean keepAlive) {
        FullHttpResponse response = route.redirect().isPresent()
                ? redirect(route.redirect().get(), route, target, tls)
                : direct(route.directResponse().orElseThrow(), directBody, headRequest);
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    private static FullHttpResponse redirect(RedirectConfig r, RouteConfig route, RequestTarget target, boolean tls) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(r.status()), Unpooled.EMPTY_BUFFER);
        response.headers()
                .set(HttpHeaderNames.LOCATION, location(r, route, target, tls))
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return response;
    }

    private static FullHttpResponse direct(DirectResponseConfig d, byte[] body, boolean headRequest) {
        HttpResponseStatus status = HttpResponseStatus.valueOf(d.status());
        boolean bodyless = d.status() == 204 || d.status() == 304;
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                headRequest || bodyless || body.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        if (!bodyless) {
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            if (body.length > 0) {
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, d.contentType());
            }
        }
        return response;
    }

    /**
     * The redirect's {@code Location}: each part the route leaves out is the request's. The port goes when the scheme
     * changes and the route names none (the new scheme's default), and a scheme's own default port is never written.
     * The query is kept. Without a host from either side (an HTTP/1.0 request without Host), a path alone.
     */
    static String location(RedirectConfig r, RouteConfig route, RequestTarget target, boolean tls) {
        String requestScheme = tls ? "https" : "http";
        String scheme = r.scheme().orElse(requestScheme);
        String[] hostAndPort = splitAuthority(target.originalHost());
        String host = r.host().orElse(hostAndPort[0]);
        String port;
        if (r.port().isPresent()) {
            port = Integer.toString(r.port().getAsInt());
        } else {
            port = scheme.equals(requestScheme) ? hostAndPort[1] : null;
        }
        boolean defaultPort = scheme.equals("http") && "80".equals(port)
                || scheme.equals("https") && "443".equals(port);
        if (defaultPort) {
            port = null;
        }
        String path = r.path().orElseGet(() -> r.prefixRewrite()
                .map(p -> RoutePlan.replaceMatchedPrefix(route, p, target.path())).orElse(target.path()));
        String pathAndQuery = target.uri(path);
        if (host == null || host.isEmpty()) {
            return pathAndQuery;
        }
        return scheme + "://" + host + (port == null ? "" : ":" + port) + pathAndQuery;
    }

    /**
     * {@code [host, port]} of an authority as the client sent it (port null when absent); {@code [null, null]} for
     * none.
     */
    private static String[] splitAuthority(String authority) {
        if (authority == null || authority.isEmpty()) {
            return new String[] {null, null};
        }
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                return new String[] {authority, null};
            }
            String port = close + 1 < authority.length() && authority.charAt(close + 1) == ':'
                    ? authority.substring(close + 2) : null;
            return new String[] {authority.substring(0, close + 1), port == null || port.isEmpty() ? null : port};
        }
        int colon = authority.lastIndexOf(':');
        if (colon < 0) {
            return new String[] {authority, null};
        }
        String port = authority.substring(colon + 1);
        return new String[] {authority.substring(0, colon), port.isEmpty() ? null : port};
    }
}
