package dev.proxy.core.observe;

import dev.proxy.core.ProxyError;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;

/**
 * How a request went, read by observers when it ends. Implemented by the exchange's facts, so nothing is copied;
 * valid only during {@link ExchangeObserver#ended}.
 */
public interface ExchangeRecord {
    /**
     * The {@link #upstreamNanos} of a request no upstream answered. A constant rather than an {@code OptionalLong}, as
     * every request's record is read by the access log and the metrics, and a present one would be an allocation.
     */
    long NO_UPSTREAM_TIME = -1;

    /** The request head as the client sent it (rewritten in place for the upstream by the time it ends). */
    HttpRequest request();

    /** The client's address, as the connection (or the trusted proxy before it) gives it. */
    InetSocketAddress client();

    /** The request target as the client sent it, before any rewrite. */
    String uri();

    /** The Host the client named (an absolute URI's authority wins), or null. */
    String host();

    /** The route's name, or null when the request matched none (or was refused before routing). */
    String routeName();

    /** The cluster of the last attempt, or null when none was made. */
    String clusterName();

    /** The endpoint of the last attempt, or null. */
    Endpoint endpoint();

    /** The status the client got (499 when it left first). */
    int status();

    /** Why the proxy failed the request, or null when the upstream's response went through whole. */
    ProxyError error();

    /** Attempts made upstream; 0 when the proxy answered by itself. */
    int attempts();

    /** Request body bytes read from the client. */
    long bytesIn();

    /** Response body bytes written to the client. */
    long bytesOut();

    /** {@link System#nanoTime} when the request head arrived. */
    long startNanos();

    /** From the request head to the end of the exchange. */
    long durationNanos();

    /**
     * From the start of the attempt whose response went to the client to the exchange's end; {@link #NO_UPSTREAM_TIME}
     * if none did.
     */
    long upstreamNanos();

    /** The trace the request belongs to, or null when it is not traced. */
    String traceId();

    /** The request's own span, or null. */
    String spanId();

    /** The request's {@code X-Request-Id} as sent upstream and echoed to the client, or null when ids are off. */
    default String requestId() {
        return null;
    }
}
