package dev.proxy.core.engine;

import java.util.ArrayDeque;
import java.util.Locale;

/**
 * The parts of a request target the proxy routes on: lower-case host without port, a normalised path and the raw
 * query. Parsed once per request from the request line and Host header. Immutable.
 */
record RequestTarget(String host, String originalHost, String path, String query) {

    /**
     * Parses a request target, or returns null when it is not origin-form ({@code /path}), absolute-form
     * ({@code http://host/path}) or {@code *}.
     *
     * @param hostHeader the single Host header, or null
     */
    static RequestTarget parse(String uri, String hostHeader) {
        String authority = hostHeader;
        String rest;
        if (uri.startsWith("/")) {
            rest = uri;
        } else if (uri.regionMatches(true, 0, "http://", 0, 7)) {
            int slash = uri.indexOf('/', 7);
            int q = uri.indexOf('?', 7);
            int end = slash >= 0 ? (q >= 0 ? Math.min(slash, q) : slash) : (q >= 0 ? q : uri.length());
            authority = uri.substring(7, end);
            if (authority.isEmpty() || authority.indexOf('@') >= 0) {
                return null;
            }
            rest = end == uri.length() ? "/" : (uri.charAt(end) == '?' ? "/" + uri.substring(end) : uri.substring(end));
        } else if (uri.equals("*")) {
            return new RequestTarget(hostOf(authority), authority, "*", null);
        } else {
            return null;
        }
        int q = rest.indexOf('?');
        String path = q >= 0 ? rest.substring(0, q) : rest;
        String query = q >= 0 ? rest.substring(q + 1) : null;
        if (path.indexOf('#') >= 0) {
            return null;
        }
        return new RequestTarget(hostOf(authority), authority, removeDotSegments(path), query);
    }

    /** The target to send upstream: {@code path} plus the original query. */
    String uri(String path) {
        return query == null ? path : path + "?" + query;
    }

    private static String hostOf(String authority) {
        if (authority == null) {
            return "";
        }
        String a = authority.trim();
        int end;
        if (a.startsWith("[")) {
            int close = a.indexOf(']');
            end = close >= 0 ? close + 1 : a.length();
        } else {
            int colon = a.indexOf(':');
            end = colon >= 0 ? colon : a.length();
        }
        String host = a.substring(0, end);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        return host.toLowerCase(Locale.ROOT);
    }

    /**
     * RFC 3986 §5.2.4, so that {@code /public/../admin} is routed as {@code /admin}, the path the upstream will
     * serve. Returns the path unchanged (no allocation) when it has no dot segment and no percent sign.
     */
    static String removeDotSegments(String path) {
        if (path.indexOf('%') >= 0) {
            // '.' is unreserved, so %2e and '.' are the same character (RFC 3986 §6.2.2.2); decode it before
            // removing dot segments so that /a/%2e%2e/b cannot slip past a prefix route
            path = path.replace("%2e", ".").replace("%2E", ".");
        }
        if (path.indexOf("/.") < 0) {
            return path;
        }
        String[] segments = path.split("/", -1);
        ArrayDeque<String> out = new ArrayDeque<>();
        for (int i = 1; i < segments.length; i++) {
            String s = segments[i];
            boolean last = i == segments.length - 1;
            if (s.equals(".")) {
                if (last) {
                    out.addLast("");
                }
            } else if (s.equals("..")) {
                out.pollLast();
                if (last) {
                    out.addLast("");
                }
            } else {
                out.addLast(s);
            }
        }
        return "/" + String.join("/", out);
    }
}
