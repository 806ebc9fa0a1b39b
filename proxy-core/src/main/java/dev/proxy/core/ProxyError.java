package dev.proxy.core;

import dev.proxy.core.config.RetryOn;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Every way the proxy itself can fail a request, and the status it answers with. The one place that maps failure
 * kinds to HTTP statuses; the reason goes to the client in the {@code x-proxy-error} header and to the access log.
 */
public enum ProxyError {
    BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, "bad_request"),
    REQUEST_HEADER_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "request_header_timeout"),
    CLIENT_BODY_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "client_body_timeout"),
    /** The request body arrives slower than {@code limits.minRequestBodyDataRate} (after its grace period). */
    CLIENT_BODY_TOO_SLOW(HttpResponseStatus.REQUEST_TIMEOUT, "client_body_too_slow"),
    NO_ROUTE(HttpResponseStatus.NOT_FOUND, "no_route"),
    /** A request line naming another version than HTTP/1.0 or HTTP/1.1 ({@code HTTP/2.0}, {@code HTTP/3.1}). */
    HTTP_VERSION_NOT_SUPPORTED(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "http_version_not_supported"),
    BODY_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "body_too_large"),
    URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long"),
    EXPECTATION_FAILED(HttpResponseStatus.EXPECTATION_FAILED, "expectation_failed"),
    RATE_LIMITED(HttpResponseStatus.TOO_MANY_REQUESTS, "rate_limited"),
    HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large"),
    INTERNAL(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error"),
    UPSTREAM_CONNECT_FAILURE(HttpResponseStatus.BAD_GATEWAY, "upstream_connect_failure"),
    UPSTREAM_RESET(HttpResponseStatus.BAD_GATEWAY, "upstream_reset"),
    UPSTREAM_BAD_RESPONSE(HttpResponseStatus.BAD_GATEWAY, "upstream_bad_response"),
    /** The TLS handshake with the upstream failed: an untrusted or misnamed certificate, or no common protocol. */
    UPSTREAM_TLS_FAILURE(HttpResponseStatus.BAD_GATEWAY, "upstream_tls_failure"),
    NO_ENDPOINT(HttpResponseStatus.SERVICE_UNAVAILABLE, "no_endpoint"),
    /**
     * The route's {@code endpointSelector} matches no endpoint of the cluster and its {@code subsetFallback} is
     * {@code fail}.
     */
    NO_SUBSET_ENDPOINT(HttpResponseStatus.SERVICE_UNAVAILABLE, "no_subset_endpoint"),
    POOL_EXHAUSTED(HttpResponseStatus.SERVICE_UNAVAILABLE, "pool_exhausted"),
    POOL_ACQUIRE_TIMEOUT(HttpResponseStatus.SERVICE_UNAVAILABLE, "pool_acquire_timeout"),
    SHUTTING_DOWN(HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting_down"),
    /** A concurrency limit (global or the route's) is reached: shed at once rather than queued. */
    OVERLOADED(HttpResponseStatus.SERVICE_UNAVAILABLE, "overloaded"),
    CIRCUIT_OPEN(HttpResponseStatus.SERVICE_UNAVAILABLE, "circuit_open"),
    /** A global rate limit with {@code failureMode: closed} could not reach Redis in time. */
    RATE_LIMIT_UNAVAILABLE(HttpResponseStatus.SERVICE_UNAVAILABLE, "rate_limit_unavailable"),
    /** The route's fault injection aborted the request; answered with the status the fault names. */
    FAULT_INJECTED(HttpResponseStatus.SERVICE_UNAVAILABLE, "fault_injected"),
    UPSTREAM_CONNECT_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream_connect_timeout"),
    UPSTREAM_RESPONSE_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream_response_timeout"),
    UPSTREAM_PER_TRY_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream_per_try_timeout"),
    UPSTREAM_IDLE_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream_idle_timeout"),
    ROUTE_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "route_timeout"),
    /** The client went away; nothing is answered. Logged with 499 as NGINX does. */
    CLIENT_CLOSED(HttpResponseStatus.valueOf(499, "Client Closed Request"), "client_closed");

    private final HttpResponseStatus status;
    private final String reason;

    ProxyError(HttpResponseStatus status, String reason) {
        this.status = status;
        this.reason = reason;
    }

    public HttpResponseStatus status() {
        return status;
    }

    /**
     * The kind of failed attempt this error is, as a route's {@code retry.on} names it, or null when the error is not
     * worth another attempt: the client's, a routing one, an open breaker or an empty cluster (the attempt's balancer
     * picks have already looked past an endpoint whose breaker is open: another try would only hammer the others
     * sooner), a TLS failure (a certificate does not fix itself in a backoff) or a garbled answer.
     */
    public RetryOn retriedAs() {
        return switch (this) {
            case UPSTREAM_CONNECT_FAILURE, UPSTREAM_CONNECT_TIMEOUT, POOL_EXHAUSTED, POOL_ACQUIRE_TIMEOUT ->
                    RetryOn.CONNECT_FAILURE;
            case UPSTREAM_RESET -> RetryOn.RESET;
            case UPSTREAM_RESPONSE_TIMEOUT, UPSTREAM_PER_TRY_TIMEOUT, UPSTREAM_IDLE_TIMEOUT -> RetryOn.TIMEOUT;
            default -> null;
        };
    }

    /**
     * The gRPC status a gRPC client gets when the proxy fails its call (the proxy answers {@code 200} with this in
     * {@code grpc-status}, as gRPC wants): the HTTP mapping of the gRPC spec, refined where the proxy knows more
     * (its timeouts are DEADLINE_EXCEEDED, its limits RESOURCE_EXHAUSTED, a client that left CANCELLED).
     */
    public int grpcStatus() {
        switch (this) {
            case CLIENT_CLOSED:
                return 1;   // CANCELLED
            case ROUTE_TIMEOUT:
            case UPSTREAM_RESPONSE_TIMEOUT:
            case UPSTREAM_PER_TRY_TIMEOUT:
            case UPSTREAM_IDLE_TIMEOUT:
            case UPSTREAM_CONNECT_TIMEOUT:
            case REQUEST_HEADER_TIMEOUT:
            case CLIENT_BODY_TIMEOUT:
            case CLIENT_BODY_TOO_SLOW:
                return 4;   // DEADLINE_EXCEEDED
            case RATE_LIMITED:
            case BODY_TOO_LARGE:
            case HEADERS_TOO_LARGE:
                return 8;   // RESOURCE_EXHAUSTED
            case NO_ROUTE:
                return 12;  // UNIMPLEMENTED
            case BAD_REQUEST:
            case URI_TOO_LONG:
            case EXPECTATION_FAILED:
            case HTTP_VERSION_NOT_SUPPORTED:
            case INTERNAL:
            case UPSTREAM_BAD_RESPONSE:
                return 13;  // INTERNAL
            default:
                return 14;  // UNAVAILABLE: the call may be tried again
        }
    }

    /**
     * What an upstream connection lost before its response ended failed with: {@link #UPSTREAM_TLS_FAILURE} when
     * {@code cause} is a TLS alert or error (under TLS 1.3 the client's side of the handshake ends before the server
     * has checked the client certificate, so a refusal arrives as an alert on the first read, after the handshake),
     * else {@link #UPSTREAM_RESET}. {@code cause} may be null (a plain close).
     */
    public static ProxyError ofUpstreamLoss(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return UPSTREAM_TLS_FAILURE;
            }
        }
        return UPSTREAM_RESET;
    }

    /** The machine-readable reason, sent as {@code x-proxy-error}. */
    public String reason() {
        return reason;
    }
}
