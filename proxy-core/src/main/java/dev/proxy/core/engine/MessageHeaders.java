package dev.proxy.core.engine;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.runtime.HeaderRules;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The header rules of an HTTP/1.1 proxy (RFC 9110 §7.6): hop-by-hop headers removed, {@code Via} and
 * {@code X-Forwarded-*} added, message framing redone for the next hop. A route's own header edits
 * ({@link HeaderRules}) run between the two: after the hop-by-hop headers are gone, before the proxy writes
 * {@code X-Forwarded-*}, {@code Via}, {@code Host} and the framing, so an edit can neither forge those nor break
 * the framing. Stateless.
 */
final class MessageHeaders {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString HTTPS = AsciiString.cached("https");
    /** This proxy's {@code Via} entry for each protocol it can receive a message in, by ordinal. */
    private static final AsciiString[] VIA = viaEntries();
    private static final AsciiString UPGRADE_TOKEN = AsciiString.cached("Upgrade");
    private static final AsciiString CLOSE = HttpHeaderValues.CLOSE;
    private static final AsciiString[] HOP_BY_HOP = {
        HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_CONNECTION,
        HttpHeaderNames.TE, HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE,
        HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION,
    };

    private MessageHeaders() {
    }

    /**
     * Turns the client's request head into the upstream's, in place. {@code X-Forwarded-Proto} and
     * {@code X-Forwarded-Host} are overwritten with what this proxy saw, so a client cannot forge them;
     * {@code X-Forwarded-For} is appended to.
     *
     * A WebSocket upgrade ({@code webSocket}, decided by {@link #isWebSocketUpgrade}) keeps {@code Connection: Upgrade} and its {@code Upgrade}
     * header, the two hop-by-hop headers the next hop needs to switch too; any other upgrade is stripped like every
     * hop-by-hop header, so the upstream answers in HTTP/1.1.
     *
     * @param client the protocol the client sent the request in, which {@code Via} names
     * @param originalHost the authority the client asked for (Host header or absolute-form URI); may be null
     * @param host the Host to send upstream
     * @param tls whether the client came over TLS ({@code X-Forwarded-Proto: https})
     * @param h2Upstream whether the request goes to an HTTP/2 upstream, the one kind that gets {@code TE: trailers}
     * @param edits the route's request header edits, run with {@code variables} after the hop-by-hop removal
     */
    static void forRequest(HttpRequest request, HttpProtocol client, String clientIp, String originalHost,
                           String host, String uri, boolean tls, boolean webSocket, boolean h2Upstream,
                           HeaderRules edits, HeaderRules.Variables variables) {
        HttpHeaders h = request.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        String upgrade = webSocket ? h.get(HttpHeaderNames.UPGRADE) : null;
        // TE is hop-by-hop (RFC 9110 §10.1.4), so it goes with the others; but "te: trailers" says the client reads
        // trailers, gRPC servers insist on it, and HTTP/2 allows that value only: it is kept towards HTTP/2 upstreams
        boolean trailers = h2Upstream && h.containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
        removeHopByHop(h);
        if (upgrade != null) {
            keepUpgrade(h, upgrade);
        }
        if (trailers) {
            h.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
        edits.apply(h, variables);
        String xff = h.get(X_FORWARDED_FOR);
        h.set(X_FORWARDED_FOR, xff == null ? clientIp : xff + ", " + clientIp);
        h.set(X_FORWARDED_PROTO, tls ? HTTPS : HTTP);
        if (originalHost != null) {
            h.set(X_FORWARDED_HOST, originalHost);
        } else {
            h.remove(X_FORWARDED_HOST);
        }
        appendVia(h, client);
        h.set(HttpHeaderNames.HOST, host);
        if (chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
        request.setUri(uri);
    }

    /**
     * Turns the upstream's response head into the client's, in place. An HTTP/2 client gets no framing or
     * connection headers: its stream's end delimits the response, and HTTP/2 forbids connection-specific headers
     * (RFC 9113 §8.2.2).
     *
     * @param upstream the protocol the upstream answered in, which {@code Via} names
     * @param client the protocol of the client the response goes to
     * @param edits the route's response header edits, run with {@code variables} after the hop-by-hop removal
     * @return whether the client connection can stay open after this response
     */
    static boolean forResponse(HttpResponse response, HttpProtocol upstream, HttpProtocol client,
                               boolean headRequest, boolean keepAlive, HeaderRules edits,
                               HeaderRules.Variables variables) {
        HttpHeaders h = response.headers();
        removeHopByHop(h);
        edits.apply(h, variables);
        appendVia(h, upstream);
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (client == HttpProtocol.HTTP_2) {
            return keepAlive;
        }
        if (mayHaveBody(response.status(), headRequest) && !h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            if (client == HttpProtocol.HTTP_1_1) {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                keepAlive = false;
            }
        }
        if (!keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (client == HttpProtocol.HTTP_1_0) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return keepAlive;
    }

    /**
     * Turns the upstream's {@code 101 Switching Protocols} into the client's, in place: hop-by-hop headers go, but
     * {@code Connection: Upgrade} and the upstream's {@code Upgrade} stay, as they are what the 101 means.
     */
    static void forUpgradeResponse(HttpResponse response, HeaderRules edits, HeaderRules.Variables variables) {
        HttpHeaders h = response.headers();
        String upgrade = h.get(HttpHeaderNames.UPGRADE);
        removeHopByHop(h);
        edits.apply(h, variables);
        keepUpgrade(h, upgrade != null ? upgrade : HttpHeaderValues.WEBSOCKET.toString());
        // only an HTTP/1.1 connection switches protocols
        appendVia(h, HttpProtocol.HTTP_1_1);
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /**
     * Whether the request asks to become a WebSocket (RFC 6455 §4.1): an HTTP/1.1 GET without a body, whose
     * {@code Connection} names {@code upgrade} and whose {@code Upgrade} names {@code websocket} (tokens compared
     * ignoring case). Only such a request may turn its connection into a tunnel; an HTTP/2 stream never does.
     *
     * @param client the protocol the client sent the request in
     */
    static boolean isWebSocketUpgrade(HttpRequest request, HttpProtocol client) {
        HttpHeaders h = request.headers();
        // most requests stop at the first check, so a plain GET parses no header values here
        if (!h.contains(HttpHeaderNames.UPGRADE) || !HttpMethod.GET.equals(request.method())
                || client != HttpProtocol.HTTP_1_1 || hasBody(request)) {
            return false;
        }
        return hasToken(h, HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                && hasToken(h, HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
    }

    private static boolean hasToken(HttpHeaders h, AsciiString name, AsciiString token) {
        for (String value : h.getAll(name)) {
            for (String t : value.split(",")) {
                if (token.contentEqualsIgnoreCase(t.trim())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void keepUpgrade(HttpHeaders h, String upgrade) {
        h.set(HttpHeaderNames.CONNECTION, UPGRADE_TOKEN);
        h.set(HttpHeaderNames.UPGRADE, upgrade);
    }

    /** The upstream's {@code Keep-Alive: timeout=N} in seconds, or -1 when it gives none. */
    static long keepAliveTimeoutSeconds(HttpResponse response) {
        String v = response.headers().get(HttpHeaderNames.KEEP_ALIVE);
        if (v == null) {
            return -1;
        }
        for (String part : v.split(",")) {
            String p = part.trim();
            if (p.regionMatches(true, 0, "timeout=", 0, 8)) {
                try {
                    return Long.parseLong(p.substring(8).trim());
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /**
     * The response's {@code Retry-After} as nanoseconds from now, or -1 when it has none or it cannot be read.
     * Both forms of RFC 9110 §10.2.3 are read: delay-seconds and an HTTP-date.
     */
    static long retryAfterNanos(HttpResponse response) {
        String v = response.headers().get(HttpHeaderNames.RETRY_AFTER);
        if (v == null) {
            return -1;
        }
        v = v.trim();
        if (!v.isEmpty() && Character.isDigit(v.charAt(0))) {
            try {
                return TimeUnit.SECONDS.toNanos(Math.min(Long.parseLong(v), 366L * 24 * 3600));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        Date date = DateFormatter.parseHttpDate(v);
        if (date == null) {
            return -1;
        }
        return TimeUnit.MILLISECONDS.toNanos(Math.max(0, date.getTime() - System.currentTimeMillis()));
    }

    static boolean mayHaveBody(HttpResponseStatus status, boolean headRequest) {
        int code = status.code();
        return !headRequest && code >= 200 && code != 204 && code != 304;
    }

    /**
     * Whether a request announces a body (a Content-Length above 0 or chunked framing). A Content-Length the decoder
     * refused ({@code 5, 6}) counts as a body of unknown length.
     */
    static boolean hasBody(HttpMessage message) {
        return HttpUtil.isTransferEncodingChunked(message) || contentLength(message) != 0;
    }

    /** HTTP/1.0 or HTTP/1.1: the versions an HTTP/1 request line may name (anything else is answered 505). */
    static boolean isHttp1(HttpVersion version) {
        return version.majorVersion() == 1 && (version.minorVersion() == 0 || version.minorVersion() == 1)
                && "HTTP".equals(version.protocolName());
    }

    /**
     * The message's Content-Length: 0 when it has none, -1 when it cannot be read (a list of differing values, which
     * the decoder refuses, or garbage); never throws, so answering such a request cannot fail in turn.
     */
    static long contentLength(HttpMessage message) {
        try {
            return HttpUtil.getContentLength(message, 0L);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Removes the hop-by-hop headers: the fixed ones, those the {@code Connection} header names, and every
     * {@code Proxy-*}. One pass over the (few) headers finds them, so a message with none of them costs no lookup by
     * name and no allocation; the usual {@code Connection: keep-alive} or {@code close} names nothing beyond the
     * fixed set.
     */
    private static void removeHopByHop(HttpHeaders h) {
        int found = 0;
        boolean proxyHeaders = false;
        List<CharSequence> named = null;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            int i = hopByHopIndex(e.getKey());
            if (i >= 0) {
                found |= 1 << i;
                if (i == 0) {
                    named = namedByConnection(e.getValue(), named);
                }
            } else if (isProxyHeader(e.getKey())) {
                proxyHeaders = true;
            }
        }
        if (named != null) {
            named.forEach(h::remove);
        }
        for (int i = 0; found != 0; i++, found >>>= 1) {
            if ((found & 1) != 0) {
                h.remove(HOP_BY_HOP[i]);
            }
        }
        if (proxyHeaders) {
            h.entries().stream().map(Map.Entry::getKey).filter(MessageHeaders::isProxyHeader).distinct().toList()
                    .forEach(h::remove);
        }
    }

    /** Index of {@code name} in {@link #HOP_BY_HOP} (0 is {@code Connection}), or -1. */
    private static int hopByHopIndex(CharSequence name) {
        for (int i = 0; i < HOP_BY_HOP.length; i++) {
            if (HOP_BY_HOP[i].contentEqualsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Adds to {@code into} (made when first needed) the header names a {@code Connection} value lists, except
     * {@code close} and the fixed hop-by-hop names, which need no extra removal.
     */
    private static List<CharSequence> namedByConnection(CharSequence value, List<CharSequence> into) {
        int n = value.length();
        int i = 0;
        while (i < n) {
            int start = i;
            while (i < n && value.charAt(i) != ',') {
                i++;
            }
            int end = i++;
            while (start < end && isSpace(value.charAt(start))) {
                start++;
            }
            while (end > start && isSpace(value.charAt(end - 1))) {
                end--;
            }
            if (end > start && !regionIs(value, start, end, CLOSE) && !isHopByHopRegion(value, start, end)) {
                if (into == null) {
                    into = new ArrayList<>(2);
                }
                into.add(value.subSequence(start, end).toString());
            }
        }
        return into;
    }

    private static boolean isHopByHopRegion(CharSequence value, int start, int end) {
        for (AsciiString name : HOP_BY_HOP) {
            if (regionIs(value, start, end, name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean regionIs(CharSequence value, int start, int end, AsciiString name) {
        return end - start == name.length() && AsciiString.regionMatches(value, true, start, name, 0, name.length());
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }

    private static boolean isProxyHeader(CharSequence name) {
        return name.length() > 6 && AsciiString.regionMatches(name, true, 0, "proxy-", 0, 6);
    }

    /** Appends this proxy's entry: the protocol the message was received in (RFC 9110 §7.6.3) and the pseudonym. */
    private static void appendVia(HttpHeaders h, HttpProtocol received) {
        String existing = h.get(HttpHeaderNames.VIA);
        AsciiString mine = VIA[received.ordinal()];
        if (existing == null) {
            h.set(HttpHeaderNames.VIA, mine);
        } else {
            h.set(HttpHeaderNames.VIA, existing + ", " + mine);
        }
    }

    private static AsciiString[] viaEntries() {
        HttpProtocol[] protocols = HttpProtocol.values();
        AsciiString[] entries = new AsciiString[protocols.length];
        for (HttpProtocol p : protocols) {
            entries[p.ordinal()] = AsciiString.cached(p.version() + " proxy");
        }
        return entries;
    }
}
