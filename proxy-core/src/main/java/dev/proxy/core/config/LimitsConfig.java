package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Limits that protect the proxy from its clients.
 *
 * @param maxConnections client connections held at once; more are accepted and closed at once
 * @param maxHeaderSize bytes of request header section before the request is answered 431
 * @param maxRequestLineSize bytes of the request line before the request is answered 414
 * @param maxBodySize default request body limit (routes may override), answered 413
 * @param requestHeaderTimeout time from a request's first byte to its last header byte (slowloris), answered 408
 * @param idleTimeout a client connection with no request in progress and no traffic is closed after this
 * @param maxInFlightRequests requests in progress at once over all routes, more are answered 503 overloaded;
 *     0 means no cap beyond maxConnections
 * @param websocketIdleTimeout a WebSocket tunnel with no bytes moving either way is closed (both sides) after this
 * @param tlsHandshakeTimeout on a TLS listener, from accept to the end of the client's handshake; the connection
 *     closes when it runs out
 */
public record LimitsConfig(int maxConnections, int maxHeaderSize, int maxRequestLineSize, long maxBodySize,
                           Duration requestHeaderTimeout, Duration idleTimeout, int maxInFlightRequests,
                           Duration websocketIdleTimeout, Duration tlsHandshakeTimeout) {
    /** Long enough for applications that ping every minute or two; Envoy's stream idle timeout is the same. */
    public static final Duration DEFAULT_WEBSOCKET_IDLE_TIMEOUT = Duration.ofMinutes(5);
    /** NGINX's {@code ssl_handshake_timeout} default is 60 s; a real client finishes in a few round trips. */
    public static final Duration DEFAULT_TLS_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    public LimitsConfig {
        requireNonNull(requestHeaderTimeout, "requestHeaderTimeout");
        requireNonNull(idleTimeout, "idleTimeout");
        requireNonNull(websocketIdleTimeout, "websocketIdleTimeout");
        requireNonNull(tlsHandshakeTimeout, "tlsHandshakeTimeout");
    }

    /** Limits with the default TLS handshake timeout. */
    public LimitsConfig(int maxConnections, int maxHeaderSize, int maxRequestLineSize, long maxBodySize,
                        Duration requestHeaderTimeout, Duration idleTimeout, int maxInFlightRequests,
                        Duration websocketIdleTimeout) {
        this(maxConnections, maxHeaderSize, maxRequestLineSize, maxBodySize, requestHeaderTimeout, idleTimeout,
                maxInFlightRequests, websocketIdleTimeout, DEFAULT_TLS_HANDSHAKE_TIMEOUT);
    }

    /** Limits with the default WebSocket idle timeout. */
    public LimitsConfig(int maxConnections, int maxHeaderSize, int maxRequestLineSize, long maxBodySize,
                        Duration requestHeaderTimeout, Duration idleTimeout, int maxInFlightRequests) {
        this(maxConnections, maxHeaderSize, maxRequestLineSize, maxBodySize, requestHeaderTimeout, idleTimeout,
                maxInFlightRequests, DEFAULT_WEBSOCKET_IDLE_TIMEOUT);
    }

    /** Limits without a global cap on requests in flight, with the default WebSocket idle timeout. */
    public LimitsConfig(int maxConnections, int maxHeaderSize, int maxRequestLineSize, long maxBodySize,
                        Duration requestHeaderTimeout, Duration idleTimeout) {
        this(maxConnections, maxHeaderSize, maxRequestLineSize, maxBodySize, requestHeaderTimeout, idleTimeout, 0);
    }
}
