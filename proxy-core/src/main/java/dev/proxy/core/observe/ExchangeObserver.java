package dev.proxy.core.observe;

import dev.proxy.core.ProxyError;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Follows one request from its head to its end. Called on the request's event loop only, in this order:
 * any number of ({@link #attemptStarted}, {@link #attemptEnded}) pairs, a {@link #retrying} between two of them,
 * and {@link #ended} exactly once.
 */
public interface ExchangeObserver {
    /** Observes nothing. */
    ExchangeObserver NONE = new ExchangeObserver() {
    };

    /**
     * An attempt is about to ask the pool of {@code endpoint} for a connection. {@code upstreamRequest} is the head
     * that will be sent; headers set on it now (a trace context) go upstream with this attempt.
     */
    default void attemptStarted(String cluster, Endpoint endpoint, HttpRequest upstreamRequest) {
    }

    /**
     * The attempt got a response head ({@code status} set, {@code error} null) or failed ({@code status} 0).
     *
     * @param nanos from {@link #attemptStarted} to the response head or the failure
     */
    default void attemptEnded(String cluster, int status, ProxyError error, long nanos) {
    }

    /** A failed attempt will be tried again: because of the status it got, or of {@code error} when status is 0. */
    default void retrying(String cluster, int status, ProxyError error) {
    }

    /** The request has ended; {@code record} is valid only during this call. */
    default void ended(ExchangeRecord record) {
    }

    /** The trace this request belongs to, for log lines about it; null when not traced. */
    default String traceId() {
        return null;
    }

    /** The request's own span in {@link #traceId}, or null. */
    default String spanId() {
        return null;
    }
}
