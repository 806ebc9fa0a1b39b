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
 * @param minRequestBodyBytesPerSecond HTTP/1.1: a request body must arrive at least this fast (averaged over the
 *     time the proxy reads it) once read for {@code minRequestBodyGracePeriod}, else 408; 0 means no minimum
 * @param minRequestBodyGracePeriod how long a body may be read before its rate counts
 */
public record LimitsConfig(int maxConnections, int maxHeaderSize, int maxRequestLineSize, long maxBodySize,
                           Duration requestHeaderTimeout, Duration idleTimeout, int maxInFlightRequests,
                           Duration websocketIdleTimeout, Duration tlsHandshakeTimeout,
                           long minRequestBodyBytesPerSecond, Duration minRequestBodyGracePeriod) {
    /** The request body limit of a route when neither it nor {@code maxBodySize} here gives one: 10 MiB. */
    public static final long DEFAULT_MAX_BODY_SIZE = 10L * 1024 * 1024;
    /** Long enough for applications that ping every minute or two; Envoy's stream idle timeout is the same. */
    public static final Duration DEFAULT_WEBSOCKET_IDLE_TIMEOUT = Duration.ofMinutes(5);
    /** NGINX's {@code ssl_handshake_timeout} default is 60 s; a real client finishes in a few round trips. */
    public static final Duration DEFAULT_TLS_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** Kestrel's defaults for {@code MinRequestBodyDataRate}: far below any real upload, far above a trickle. */
    public static final long DEFAULT_MIN_REQUEST_BODY_BYTES_PER_SECOND = 240;
    public static final Duration DEFAULT_MIN_REQUEST_BODY_GRACE_PERIOD = Duration.ofSeconds(5);

    public LimitsConfig {
        requireNonNull(requestHeaderTimeout, "requestHeaderTimeout");
        requireNonNull(idleTimeout, "idleTimeout");
        requireNonNull(websocketIdleTimeout, "websocketIdleTimeout");
        requireNonNull(tlsHandshakeTimeout, "tlsHandshakeTimeout");
        requireNonNull(minRequestBodyGracePeriod, "minRequestBodyGracePeriod");
        if (minRequestBodyBytesPerSecond < 0) {
            throw new IllegalArgumentException("minRequestBodyBytesPerSecond must be >= 0");
        }
    }

    /** Limits with the default TLS handshake timeout and minimum request body data rate. */
    public LimitsConfig(int maxConnections, int maxHeaderSize, int maxRequestLineSize, long maxBodySize,
                        Duration requestHeaderTimeout, Duration idleTimeout, int maxInFlightRequests,
                        Duration websocketIdleTimeout) {
        this(maxConnections, maxHeaderSize, maxRequestLineSize, maxBodySize, requestHeaderTimeout, idleTimeout,
                maxInFlightRequests, websocketIdleTimeout, DEFAULT_TLS_HANDSHAKE_TIMEOUT,
                DEFAULT_MIN_REQUEST_BODY_BYTES_PER_SECOND, DEFAULT_MIN_REQUEST_BODY_GRACE_PERIOD);
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
