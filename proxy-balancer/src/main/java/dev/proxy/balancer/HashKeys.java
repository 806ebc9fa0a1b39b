package dev.proxy.balancer;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.HashKey;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Optional;

/**
 * Reads the key a consistent-hashing policy hashes, as {@link HashKey} names it, and hashes it with
 * {@link Hashing} where it lies, without copying it:
 * <ul>
 *   <li>{@code HEADER}: the first value of the header; absent when missing or empty.
 *   <li>{@code COOKIE}: the value of the first cookie of that name (case-sensitive) in the first {@code Cookie} header,
 *       without surrounding double quotes; absent when missing or empty. Pairs are separated by {@code ;} (a
 *       {@code ,} or whitespace before a name is skipped too), as Netty's {@code ServerCookieDecoder} reads them.
 *   <li>{@code CLIENT_IP}: the client's IP address bytes (4 or 16), whatever its port, or its host string when the
 *       address is unresolved; absent when the client is not an {@link InetSocketAddress}.
 *   <li>{@code PATH}: the request target's path, before any {@code ?} or {@code #} ({@code /} for an absolute-form
 *       target without one); never absent.
 * </ul>
 *
 * <p>Immutable and allocation-free, except that {@link InetAddress#getAddress()} copies the 4 or 16 address bytes;
 * called from every event loop.
 */
final class HashKeys {
    private static final long SLASH_HASH = Hashing.hash("/");

    private final HashKey.Source source;
    private final String name;
    private final AsciiString headerName;

    HashKeys(HashKey key) {
        requireNonNull(key, "key");
        this.source = key.source();
        this.name = key.name();
        this.headerName = AsciiString.cached(key.name());
    }

    /**
     * The endpoint {@code table} holds for the request's key, or {@code withoutKey}'s pick when the request has none.
     */
    Optional<Endpoint> pick(HttpRequest request, SocketAddress client, HashLookup table, LoadBalancer withoutKey) {
        switch (source) {
            case HEADER: {
                String value = request.headers().get(headerName);
                return value == null || value.isEmpty()
                        ? withoutKey.pick(request, client)
                        : table.lookup(Hashing.hash(value));
            }
            case COOKIE:
                return byCookie(request, client, table, withoutKey);
            case CLIENT_IP:
                return byClientIp(request, client, table, withoutKey);
            case PATH:
                return table.lookup(pathHash(request.uri()));
            default:
                throw new AssertionError(source);
        }
    }

    private Optional<Endpoint> byCookie(HttpRequest request, SocketAddress client, HashLookup table,
            LoadBalancer withoutKey) {
        String header = request.headers().get(HttpHeaderNames.COOKIE);
        int length = header == null ? 0 : header.length();
        int i = 0;
        while (i < length) {
            char c = header.charAt(i);
            if (c == ';' || c == ',' || c == ' ' || c == '\t') {
                i++;
                continue;
            }
            int end = header.indexOf(';', i);
            if (end < 0) {
                end = length;
            }
            int eq = header.indexOf('=', i);
            if (eq >= 0 && eq < end && trimEnd(header, i, eq) - i == name.length()
                    && header.startsWith(name, i)) {
                int from = trimStart(header, eq + 1, end);
                int to = trimEnd(header, from, end);
                if (to - from >= 2 && header.charAt(from) == '"' && header.charAt(to - 1) == '"') {
                    from++;
                    to--;
                }
                if (from < to) {
                    return table.lookup(Hashing.xxHash64(header, from, to, 0));
                }
                break; // the first cookie of that name is empty: no key
            }
            i = end + 1;
        }
        return withoutKey.pick(request, client);
    }

    private static Optional<Endpoint> byClientIp(HttpRequest request, SocketAddress client, HashLookup table,
            LoadBalancer withoutKey) {
        if (!(client instanceof InetSocketAddress)) {
            return withoutKey.pick(request, client);
        }
        InetSocketAddress inet = (InetSocketAddress) client;
        InetAddress address = inet.getAddress();
        if (address == null) {
            return table.lookup(Hashing.hash(inet.getHostString()));
        }
        byte[] bytes = address.getAddress();
        return table.lookup(Hashing.xxHash64(bytes, 0, bytes.length, 0));
    }

    /** Hash of the path of an origin-form ({@code /a?b}), absolute-form ({@code http://h/a?b}) or {@code *} target. */
    static long pathHash(String uri) {
        int start = 0;
        if (!uri.startsWith("/")) {
            int scheme = uri.indexOf("://");
            if (scheme >= 0) {
                start = scheme + 3;
                while (start < uri.length() && "/?#".indexOf(uri.charAt(start)) < 0) {
                    start++; // the authority
                }
            }
        }
        int end = start;
        while (end < uri.length() && uri.charAt(end) != '?' && uri.charAt(end) != '#') {
            end++;
        }
        return end == start ? SLASH_HASH : Hashing.xxHash64(uri, start, end, 0);
    }

    private static int trimStart(String s, int from, int to) {
        while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
            from++;
        }
        return from;
    }

    private static int trimEnd(String s, int from, int to) {
        while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
            to--;
        }
        return to;
    }
}
