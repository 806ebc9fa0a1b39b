package dev.proxy.core.filter;

import dev.proxy.core.ProxyError;

/**
 * One admission step of a route's request path (a concurrency limit, a rate limit, a fault). Built once per config
 * load and called from every event loop at once: it must be thread-safe, must not block and must not take a lock
 * that other event loops take too.
 *
 * <p>It cannot forget to hand the request on: it returns its {@link Verdict} and the engine does the rest.
 */
public interface RequestFilter {
    /** Whether the request may go on. Called once per request, before it is forwarded. */
    Verdict onRequest(RequestInfo request);

    /**
     * Called exactly once for each request this filter passed, when the request has ended.
     *
     * @param status the status the client was answered with (499 when it went away first)
     * @param error why the proxy failed the request, or null when the upstream's answer went through
     * @param durationNanos from the start of the request to its end
     */
    default void onEnd(RequestInfo request, int status, ProxyError error, long durationNanos) {
    }
}
