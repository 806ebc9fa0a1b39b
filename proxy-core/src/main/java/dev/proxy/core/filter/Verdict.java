package dev.proxy.core.filter;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.ProxyError;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A filter's answer for one request: go on, go on after a delay, or answer the client now. Immutable; a filter
 * keeps the verdicts it gives often (pass, a constant rejection) and allocates only the ones that carry per-request
 * headers.
 */
public final class Verdict {
    public static final Verdict PASS = new Verdict(null, null, null, 0);

    private final ProxyError error;
    private final HttpResponseStatus status;
    private final HttpHeaders headers;
    private final long delayNanos;

    private Verdict(ProxyError error, HttpResponseStatus status, HttpHeaders headers, long delayNanos) {
        this.error = error;
        this.status = status;
        this.headers = headers;
        this.delayNanos = delayNanos;
    }

    /** Answer the client with {@code error}'s status and reason. */
    public static Verdict reject(ProxyError error) {
        return new Verdict(requireNonNull(error, "error"), error.status(), null, 0);
    }

    /**
     * Answer the client {@code status} with {@code error}'s reason and these extra headers.
     *
     * @param headers added to the response, or null; not changed afterwards
     */
    public static Verdict reject(ProxyError error, HttpResponseStatus status, HttpHeaders headers) {
        return new Verdict(requireNonNull(error, "error"), requireNonNull(status, "status"), headers, 0);
    }

    /** Go on after {@code nanos}; the wait counts against the route's deadline and does not block a thread. */
    public static Verdict delay(long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("delay must be positive: " + nanos);
        }
        return new Verdict(null, null, null, nanos);
    }

    public boolean passes() {
        return error == null && delayNanos == 0;
    }

    public boolean rejects() {
        return error != null;
    }

    /** The reason of a rejection, or null. */
    public ProxyError error() {
        return error;
    }

    /** The status of a rejection, or null. */
    public HttpResponseStatus status() {
        return status;
    }

    /** Extra headers of a rejection, or null. */
    public HttpHeaders headers() {
        return headers;
    }

    /** The delay asked for, or 0. */
    public long delayNanos() {
        return delayNanos;
    }

    @Override
    public String toString() {
        return passes() ? "pass" : rejects() ? "reject " + status.code() + " " + error.reason()
                : "delay " + delayNanos + "ns";
    }
}
