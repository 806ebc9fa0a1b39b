package dev.proxy.core.engine;

import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.upstream.PooledConnection;

/**
 * What an exchange may ask of the client's side of its connection ({@link FrontendHandler}, one per connection or per
 * HTTP/2 stream): pause reading for a reason, tell who the client is, take the exchange's end, or become a tunnel.
 * The exchange sees nothing else of the handler. Called on the client's event loop only.
 */
interface ClientSide {

    /** Why the client's channel does not read; it reads again once no reason is left. */
    enum ReadPause {
        /** A connection is being leased, or a filter's delay or a retry's backoff runs: the body would pile up. */
        CONNECTING,
        /** The upstream connection cannot take more of the body now. */
        UPSTREAM_BUSY,
        /** Pipelined requests wait for the one in flight. The handler's own. */
        PIPELINED,
        /** A WebSocket upgrade awaits its answer: what the client sends next is not HTTP. The handler's own. */
        UPGRADING;

        final int bit = 1 << ordinal();
    }

    void pauseReading(ReadPause reason, boolean pause);

    /** The exchange has ended, exactly once; the connection stays open for the next request when keepAlive. */
    void exchangeDone(ProxyExchange finished, boolean keepAlive);

    /** Whether the connection waits for the answer to a WebSocket upgrade request, so a 101 can be taken. */
    boolean awaitingUpgrade();

    /** The 101 has been written: the connection becomes the client end of a tunnel to {@code upstream}. */
    void openTunnel(PooledConnection upstream);

    /** The proxy is shutting down: responses close their connections. */
    boolean isDraining();

    /** Who the client is: its address, TLS, certificate identity. */
    ClientIdentity identity();

    ProxyObserver observer();
}
