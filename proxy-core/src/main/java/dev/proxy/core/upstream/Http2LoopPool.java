package dev.proxy.core.upstream;

import dev.proxy.core.ProxyError;
import dev.proxy.core.upstream.Http2Connection.State;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One loop's HTTP/2 connections to an endpoint. A request gets a stream on the oldest connection with room, so
 * load packs onto few connections and the rest can idle out; a connection's room is the smaller of
 * {@code pool.maxStreamsPerConnection} and the upstream's {@code SETTINGS_MAX_CONCURRENT_STREAMS}. Only when no
 * connection has room (or is about to) does a request open one, within {@code maxConnectionsPerEndpoint}; then it
 * waits, as over HTTP/1.1. "Leased" counts streams (requests in flight, as least-request balancing wants), "idle"
 * counts connections without one.
 */
final class Http2LoopPool extends LoopPool {
    private final UpstreamChannelInitializer pipelines;
    private final ArrayList<Http2Connection> connections = new ArrayList<>(4);

    Http2LoopPool(ConnectionPool parent, EventLoop loop, Bootstrap bootstrap, UpstreamChannelInitializer pipelines) {
        super(parent, loop, bootstrap);
        this.pipelines = pipelines;
    }

    int maxStreams() {
        return config.maxStreamsPerConnection();
    }

    @Override
    boolean lendExisting(AcquireCallback callback) {
        Http2Connection c = withRoom();
        if (c != null) {
            openStream(c, callback);
            return true;
        }
        c = promising();
        if (c != null) {
            c.await(callback);
            return true;
        }
        return false;
    }

    @Override
    boolean canLendExisting() {
        return withRoom() != null || promising() != null;
    }

    /** The oldest connection with room; one past its lifetime takes nothing new and is drained as streams end. */
    private Http2Connection withRoom() {
        long now = 0;
        for (int i = 0; i < connections.size(); i++) {
            Http2Connection c = connections.get(i);
            if (c.hasRoom()) {
                if (config.maxLifeTime().isZero()) {
                    return c;
                }
                now = now == 0 ? System.nanoTime() : now;
                if (withinLifetime(c.createdNanos, now)) {
                    return c;
                }
            }
        }
        return null;
    }

    private Http2Connection promising() {
        for (int i = 0; i < connections.size(); i++) {
            Http2Connection c = connections.get(i);
            if (c.canPromise()) {
                return c;
            }
        }
        return null;
    }

    @Override
    void connect(AcquireCallback callback) {
        open(new Opening() {
            private Http2Connection c;

            @Override
            public void registered(Channel channel, long startedNanos) {
                c = new Http2Connection(channel, Http2LoopPool.this, startedNanos);
                c.await(callback);
                connections.add(c);
                channel.closeFuture().addListener(x -> onClosed(c));
            }

            @Override
            public boolean stillOpening() {
                return c.state == State.CONNECTING;
            }

            @Override
            public void opened() {
                pipelines.addPooledHttp2(c.channel);
                c.channel.pipeline().addLast(new ConnectionFrames(c));
                c.state = State.OPEN;
                // an upstream that never says its SETTINGS is not speaking HTTP/2: requests waiting to learn the
                // stream limit must not wait for ever
                loop.schedule(() -> {
                    if (!c.settingsReceived) {
                        c.channel.close();
                    }
                }, connectTimeoutMillis(), TimeUnit.MILLISECONDS);
                lendWaiting(c);
            }

            @Override
            public void failed(ProxyError error, Throwable cause) {
                c.failWaiting(error, cause);
            }
        });
    }

    /** The peer said its limits: requests waiting on the connection get their streams, up to the limit. */
    private void settingsReceived(Http2Connection c, Long maxConcurrentStreams) {
        c.peerSettings(maxConcurrentStreams);
        lendWaiting(c);
        if (hasWaiters() && c.hasRoom()) {
            scheduleServe();
        }
    }

    /** Hands streams to the requests waiting on {@code c}, as far as its limit allows. */
    private void lendWaiting(Http2Connection c) {
        AcquireCallback w;
        while (c.hasRoom() && (w = c.nextWaiting()) != null) {
            openStream(c, w);
        }
        refreshIdleCount();
    }

    private void openStream(Http2Connection c, AcquireCallback callback) {
        Http2Stream lease = new Http2Stream(c, c.lent > 0);
        c.active++;
        c.lent++;
        leasedCount++;
        if (config.maxRequestsPerConnection() > 0 && c.lent >= config.maxRequestsPerConnection()) {
            drain(c);
        }
        refreshIdleCount();
        observer.leased(lease.isReused());
        new Http2StreamChannelBootstrap(c.channel).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel stream) {
                lease.stream = stream;
                pipelines.initStream(stream, lease);
            }
        }).open().addListener((Future<Http2StreamChannel> f) -> {
            if (f.isSuccess() && c.state != State.CLOSED) {
                callback.acquired(lease);
            } else {
                if (f.isSuccess()) {
                    f.getNow().close();
                }
                lease.end();
                callback.acquireFailed(ProxyError.UPSTREAM_RESET, f.cause());
            }
        });
    }

    /** A lease ended: its stream's place goes to a request waiting on this connection or this loop. */
    void streamEnded(Http2Connection c) {
        c.active--;
        leasedCount--;
        if (c.state == State.CLOSED) {
            return;
        }
        long now = System.nanoTime();
        if (c.state == State.OPEN && (parent.isClosed() || !c.channel.isActive() || !withinLifetime(c.createdNanos, now))) {
            drain(c);
        }
        if (c.state == State.DRAINING) {
            if (c.active == 0) {
                c.channel.close();
            }
            return;
        }
        if (c.waitingCount() > 0 || hasWaiters()) {
            // in a later task: Netty closes the ended stream only after this call returns (see hasRoom)
            loop.execute(() -> {
                if (c.state == State.OPEN) {
                    lendWaiting(c);
                }
                if (hasWaiters()) {
                    scheduleServe();
                }
            });
        } else if (c.active == 0) {
            c.idleSinceNanos = now;
            if (parent.hasWaiters()) {
                // at the cap with requests waiting on other loops only: this connection's capacity is worth more
                // there, and connections never move between loops
                c.channel.close();
                return;
            }
            startSweeper();
        }
        refreshIdleCount();
    }

    /** No new streams; the connection closes once its last stream ends, and its waiting requests go elsewhere. */
    private void drain(Http2Connection c) {
        if (c.state != State.OPEN && c.state != State.CONNECTING) {
            return;
        }
        c.state = State.DRAINING;
        AcquireCallback w;
        while ((w = c.nextWaiting()) != null) {
            acquire(w, false);
        }
        if (c.active == 0) {
            c.channel.close();
        }
    }

    /** Called once per connection when its channel closes. Its streams end with it, each through its lessee. */
    private void onClosed(Http2Connection c) {
        boolean wasConnecting = c.state == State.CONNECTING;
        if (!wasConnecting && c.state != State.CLOSED) {
            observer.connectionClosed();
        }
        c.state = State.CLOSED;
        connections.remove(c);
        refreshIdleCount();
        parent.connectionClosed();
        if (!wasConnecting) {
            // requests that waited for it to say its limits did nothing wrong: they try again from the start
            AcquireCallback w;
            while ((w = c.nextWaiting()) != null) {
                acquire(w, false);
            }
        }
        // a connect that failed tells its waiting requests why, once the channel is closed
    }

    @Override
    void closeOneIdle() {
        for (int i = connections.size() - 1; i >= 0; i--) {
            Http2Connection c = connections.get(i);
            if (isIdle(c)) {
                c.state = State.DRAINING;
                c.channel.close();
                return;
            }
        }
    }

    @Override
    void closeIdle() {
        for (Http2Connection c : new ArrayList<>(connections)) {
            if (isIdle(c)) {
                c.state = State.DRAINING;
                c.channel.close();
            }
        }
    }

    @Override
    void sweep() {
        long now = System.nanoTime();
        for (Http2Connection c : new ArrayList<>(connections)) {
            if (isIdle(c) && (now - c.idleSinceNanos >= config.maxIdleTime().toNanos()
                    || !withinLifetime(c.createdNanos, now))) {
                c.state = State.DRAINING;
                c.channel.close();
            }
        }
    }

    private static boolean isIdle(Http2Connection c) {
        return c.state == State.OPEN && c.active == 0 && c.waitingCount() == 0;
    }

    private void refreshIdleCount() {
        int n = 0;
        for (int i = 0; i < connections.size(); i++) {
            if (isIdle(connections.get(i))) {
                n++;
            }
        }
        idleCount = n;
    }

    /**
     * The connection-level frames the stream multiplexer passes on: the peer's SETTINGS (its stream limit) and
     * GOAWAY (no new streams). Everything else is dropped here.
     */
    private final class ConnectionFrames extends ChannelInboundHandlerAdapter {
        private final Http2Connection c;

        ConnectionFrames(Http2Connection c) {
            this.c = c;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2SettingsFrame s) {
                    settingsReceived(c, s.settings().maxConcurrentStreams());
                } else if (msg instanceof Http2GoAwayFrame) {
                    drain(c);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a connection error: the codec has sent GOAWAY and closes the connection, ending every stream
            ctx.close();
        }
    }
}
