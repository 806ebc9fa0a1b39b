package dev.proxy.core;

/**
 * What one attempt at an upstream says about that upstream: the one classification that outlier detection, the
 * circuit breakers and the adaptive concurrency limit read, so that they cannot disagree about what a failure is.
 * Whether an attempt may be tried again is the error's own word ({@link ProxyError#retriedAs}), as Pingora carries
 * "retryable" on its errors.
 *
 * <p>The route's deadline passing while an attempt is in flight is a {@link #TIMEOUT} of that upstream, as Envoy's
 * outlier detection counts a timed-out request as a gateway failure.
 */
public enum UpstreamOutcome {
    /** The upstream answered with a status that is not a gateway error. */
    ANSWERED(false, false),
    /** The upstream answered 502, 503 or 504: reachable, but failing. */
    GATEWAY_ERROR(true, false),
    /** No connection: refused, unreachable, or its TLS handshake failed. */
    CONNECT_FAILURE(true, false),
    /** The connection was reset or closed, or the upstream answered something that is not HTTP. */
    RESET(true, false),
    /**
     * The upstream was too slow: to accept the connection, to send its response head, silent mid-response, or the
     * route's deadline passed while it was asked.
     */
    TIMEOUT(true, true),
    /** A concurrency limit of the proxy's own shed the request: not the upstream's doing, but a sign of overload. */
    SHED(false, true),
    /**
     * Says nothing of the upstream: the client erred or left, no route or endpoint, an open breaker, a pool or rate
     * limit of the proxy's own, an internal error.
     */
    NOTHING(false, false);

    private final boolean failsEndpoint;
    private final boolean drop;

    UpstreamOutcome(boolean failsEndpoint, boolean drop) {
        this.failsEndpoint = failsEndpoint;
        this.drop = drop;
    }

    /** The outcome of an attempt the upstream answered with {@code status}. */
    public static UpstreamOutcome ofStatus(int status) {
        return status == 502 || status == 503 || status == 504 ? GATEWAY_ERROR : ANSWERED;
    }

    /** The outcome of an attempt, or of a request, that failed with {@code error}. */
    public static UpstreamOutcome of(ProxyError error) {
        return switch (error) {
            case UPSTREAM_CONNECT_FAILURE, UPSTREAM_TLS_FAILURE -> CONNECT_FAILURE;
            case UPSTREAM_RESET, UPSTREAM_BAD_RESPONSE -> RESET;
            case UPSTREAM_CONNECT_TIMEOUT, UPSTREAM_RESPONSE_TIMEOUT, UPSTREAM_PER_TRY_TIMEOUT, UPSTREAM_IDLE_TIMEOUT,
                    ROUTE_TIMEOUT -> TIMEOUT;
            case OVERLOADED -> SHED;
            default -> NOTHING;
        };
    }

    /** Counts against the endpoint: in outlier detection, and in its circuit breaker when the attempt failed. */
    public boolean failsEndpoint() {
        return failsEndpoint;
    }

    /** A sign that the request waited too long, which an adaptive concurrency limit answers by lowering itself. */
    public boolean isDrop() {
        return drop;
    }
}
