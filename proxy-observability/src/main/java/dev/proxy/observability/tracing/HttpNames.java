package dev.proxy.observability.tracing;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

/** What the HTTP semantic conventions want read off a request head: the method's name, the path, the host. */
final class HttpNames {
    /** The method value the conventions use for a method they do not know. */
    static final String OTHER_METHOD = "_OTHER";

    private HttpNames() {
    }

    /** {@code method} when it is one of the conventions' known methods, else {@code _OTHER}. */
    static String method(String method) {
        switch (method) {
            case "GET":
            case "HEAD":
            case "POST":
            case "PUT":
            case "DELETE":
            case "CONNECT":
            case "OPTIONS":
            case "TRACE":
            case "PATCH":
            case "QUERY":
                return method;
            default:
                return OTHER_METHOD;
        }
    }

    /** The span name part for {@code method} as {@link #method} returned it: {@code HTTP} for an unknown one. */
    static String spanName(String method) {
        return method == OTHER_METHOD ? "HTTP" : method;
    }

    /** The path of a request target, without query or fragment; the target itself for {@code *} or an authority. */
    static String path(String uri) {
        int start = 0;
        if (uri.isEmpty() || uri.charAt(0) != '/') {
            int scheme = uri.indexOf("://");
            if (scheme <= 0) {
                return uri;
            }
            start = endOfAuthority(uri, scheme + 3);
            if (start == uri.length() || uri.charAt(start) != '/') {
                return "/";
            }
        }
        int end = uri.length();
        for (int i = start; i < end; i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        return start == 0 && end == uri.length() ? uri : uri.substring(start, end);
    }

    /** The authority the client named: an absolute-form target's, else the Host header's; null when neither. */
    static String authority(HttpRequest request) {
        String uri = request.uri();
        if (!uri.isEmpty() && uri.charAt(0) != '/') {
            int scheme = uri.indexOf("://");
            if (scheme > 0) {
                int from = scheme + 3;
                int end = endOfAuthority(uri, from);
                int at = uri.lastIndexOf('@', end - 1);
                if (at >= from) {
                    from = at + 1;
                }
                return end > from ? uri.substring(from, end) : null;
            }
        }
        return request.headers().get(HttpHeaderNames.HOST);
    }

    /** The host of {@code host[:port]} or {@code [v6][:port]}, without brackets. */
    static String host(String authority) {
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            return close > 0 ? authority.substring(1, close) : authority;
        }
        int colon = authority.indexOf(':');
        return colon < 0 ? authority : authority.substring(0, colon);
    }

    /** The port of {@code host:port} or {@code [v6]:port}, or -1 when it names none (or no valid one). */
    static int port(String authority) {
        int colon = authority.lastIndexOf(':');
        if (colon < 0 || colon < authority.lastIndexOf(']')) {
            return -1;
        }
        int port = 0;
        int digits = authority.length() - colon - 1;
        if (digits < 1 || digits > 5) {
            return -1;
        }
        for (int i = colon + 1; i < authority.length(); i++) {
            char c = authority.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            port = port * 10 + (c - '0');
        }
        return port <= 65535 ? port : -1;
    }

    private static int endOfAuthority(String uri, int from) {
        for (int i = from; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                return i;
            }
        }
        return uri.length();
    }
}
