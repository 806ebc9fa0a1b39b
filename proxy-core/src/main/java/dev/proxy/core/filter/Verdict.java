package dev.proxy.core.filter;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.ProxyError;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A filter's answer for one request: go on, go on after a delay, ask the same filter again after a delay, or answer
 * the client now. Immutable; a filter keeps the verdicts it gives often (pass, a constant rejection) and allocates
 * only the ones that carry per-request headers or delays.
 */
public final class Verdict {
    public static final Verdict PASS = new Verdict(null, null, null, 0, false);

    private final ProxyError error;
    private final HttpResponseStatus status;
    private final HttpHeaders headers;
    private final long delayNanos;
    private final boolean again;

    private Verdict(ProxyError error, HttpResponseStatus status, HttpHeaders headers, long delayNanos,
                    boolean again) {
        this.error = error;
        this.status = status;
        this.headers = headers;
        this.delayNanos = delayNanos;
        this.again = again;
    }

    /** Answer the client with {@code error}'s status and reason. */
    public static Verdict reject(ProxyError error) {
        return new Verdict(requireNonNull(error, "error"), error.status(), null, 0, false);
    }

    /**
     * Answer the client {@code status} with {@code error}'s reason and these extra headers.
     *
     * @param headers added to the response, or null; not changed afterwards
     */
    public static Verdict reject(ProxyError error, HttpResponseStatus status, HttpHeaders headers) {
        return new Verdict(requireNonNull(error, "error"), requireNonNull(status, "status"), headers, 0, false);
    }

    /** Go on after {@code nanos}; the wait counts against the route's deadline and does not block a thread. */
    public static Verdict delay(long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("delay must be positive: " + nanos);
        }
        return new Verdict(null, null, null, nanos, false);
    }

    /**
     * Ask the same filter again after {@code nanos}, as if the request had just arrived: for a filter that could not
     * decide now without waiting for another thread. Like {@link #delay}, the wait counts against the route's deadline
     * and does not block a thread; the filter has not passed the request, so it hears of no end until it does.
     */
    public static Verdict askAgain(long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("delay must be positive: " + nanos);
        }
        return new Verdict(null, null, null, nanos, true);
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

    /** True when the filter that gave this verdict is to be asked again after {@link #delayNanos}. */
    public boolean asksAgain() {
        return again;
    }

    /** The delay asked for, or 0. */
    public long delayNanos() {
        return delayNanos;
    }

    @Override
    public String toString() {
        return passes() ? "pass" : rejects() ? "reject " + status.code() + " " + error.reason()
                : (again ? "ask again in " : "delay ") + delayNanos + "ns";
    }
}
