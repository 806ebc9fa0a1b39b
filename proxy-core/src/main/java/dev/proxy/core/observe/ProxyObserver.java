package dev.proxy.core.observe;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.Http2Error;
import java.util.ArrayList;
import java.util.List;

/**
 * Hears the proxy's client connections and requests. Called on the event loops, so an implementation must be
 * thread-safe, must not block and should not throw (the engine does not guard every call).
 */
public interface ProxyObserver {
    /** Observes nothing. */
    ProxyObserver NONE = new ProxyObserver() {
    };

    /** A client connection was accepted. */
    default void connectionOpened() {
    }

    /** An accepted client connection closed. */
    default void connectionClosed() {
    }

    /**
     * The proxy turned a client connection away without a request to show for it: over {@code maxConnections}
     * ({@link ProxyError#OVERLOADED}) or too slow to send its request head ({@link ProxyError#REQUEST_HEADER_TIMEOUT}).
     */
    default void connectionRejected(ProxyError reason) {
    }

    /** A client connection was closed before its PROXY protocol header was read, for {@code reason}. */
    default void proxyProtocolRejected(ProxyProtocolRejection reason) {
    }

    /**
     * A client's TLS handshake ended: with the protocol agreed ({@code TLSv1.3}) or, failed, with the reason
     * ({@code no_client_certificate}, {@code untrusted_client_certificate}, {@code not_tls}, ...; a short, bounded
     * set).
     *
     * @param nanos from the connection's start to the end of the handshake
     */
    default void tlsHandshake(boolean success, String protocolOrReason, long nanos) {
    }

    /**
     * A request head arrived; the returned observer follows that request to its end. Runs before the request is
     * validated or routed.
     *
     * @param protocol what the client sent the request in; {@code request}'s own version says HTTP/1.1 for an
     *                 HTTP/2 stream, whose head the engine sees converted
     */
    default ExchangeObserver exchangeStarted(HttpRequest request, HttpProtocol protocol) {
        return ExchangeObserver.NONE;
    }

    /**
     * A client connection and an upstream connection became a WebSocket tunnel (after the upgrade request's
     * exchange ended with {@code 101}).
     */
    default void tunnelOpened() {
    }

    /**
     * A tunnel opened by {@link #tunnelOpened} closed, once per tunnel.
     *
     * @param bytesFromClient bytes read from the client and sent upstream
     * @param bytesFromUpstream bytes read from the upstream and sent to the client
     */
    default void tunnelClosed(long bytesFromClient, long bytesFromUpstream) {
    }

    /** An HTTP/2 client opened a stream; the stream's request is then observed like any other. */
    default void http2StreamOpened() {
    }

    /**
     * An HTTP/2 client reset one of its streams ({@code RST_STREAM}): a cancelled request, or, many at once, a
     * rapid-reset flood.
     */
    default void http2StreamReset() {
    }

    /**
     * An HTTP/2 client broke the protocol and was answered with the protocol's own error: {@code RST_STREAM} for a
     * stream error (a WINDOW_UPDATE of 0, a request without {@code :method}, a pseudo-header in trailers, ...), or
     * {@code GOAWAY} for a connection error. The client's fault, never the proxy's: counted, not logged above debug.
     *
     * @param error the error code sent to the client
     * @param connection whether the whole connection was closed (GOAWAY), not only the stream
     */
    default void http2ProtocolError(Http2Error error, boolean connection) {
    }

    /**
     * The observer of one cluster's pools, endpoints and attempts; asked when the cluster's runtime is first built
     * and kept while its config stays the same (an endpoint set change keeps it too).
     */
    default ClusterObserver cluster(String name) {
        return ClusterObserver.NONE;
    }

    /**
     * The observer of the requests a route takes; asked when a snapshot first has a route of that name, and kept
     * across reloads while there is one (however its match or policies change).
     */
    default RouteObserver route(String name) {
        return RouteObserver.NONE;
    }

    /**
     * The observer of the requests that matched no route or were refused before routing; asked once, with the first
     * snapshot.
     */
    default RouteObserver unrouted() {
        return RouteObserver.NONE;
    }

    /** All of {@code observers}, in order; {@link #NONE} ones are left out. */
    static ProxyObserver of(List<ProxyObserver> observers) {
        List<ProxyObserver> live = new ArrayList<>();
        for (ProxyObserver o : observers) {
            if (o != NONE) {
                live.add(o);
            }
        }
        if (live.isEmpty()) {
            return NONE;
        }
        return live.size() == 1 ? live.get(0) : new CompositeObserver(live);
    }
}
