package dev.proxy.core.engine;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * How a client connection drains when the proxy shuts down, set on the connection by whatever serves it now: an
 * HTTP/1.1 connection closes when idle or after its response ({@link FrontendHandler}), an HTTP/2 connection sends
 * GOAWAY and lets its streams finish ({@link Http2Frontend}), a WebSocket tunnel closes at once ({@link Tunnel}).
 * The server runs it on the connection's event loop, without knowing which handlers the pipeline holds.
 */
final class Drain {
    private static final AttributeKey<Runnable> KEY = AttributeKey.valueOf("proxy.drain");

    private Drain() {
    }

    /** From now on, {@code connection} drains by running {@code how} on its event loop. */
    static void set(Channel connection, Runnable how) {
        connection.attr(KEY).set(how);
    }

    /** Starts draining {@code connection}, if what serves it has said how (one still negotiating has not). */
    static void start(Channel connection) {
        Runnable how = connection.attr(KEY).get();
        if (how != null) {
            connection.eventLoop().execute(how);
        }
    }
}
