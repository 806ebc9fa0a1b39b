package dev.proxy.core.upstream;

import dev.proxy.core.Endpoint;
import dev.proxy.core.ProxyError;
import dev.proxy.core.config.PoolConfig;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.tls.UpstreamTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The part of one endpoint's pool that belongs to one event loop: its connections and the requests of this loop
 * waiting at the cap. Confined to its event loop, so it needs no locks; only the capacity counters in
 * {@link ConnectionPool} are shared. Counts other threads read are volatile, written by the loop alone.
 *
 * <p>This class holds what both protocols share: the order of an acquire (lend from what the loop has, else open a
 * connection within the cap, else wait within the pending cap, else fail), the waiting requests with their
 * timeouts, opening a connection (TCP, then TLS) and the idle sweeper. How connections are lent is
 * {@link Http1LoopPool}'s (one request per connection) or {@link Http2LoopPool}'s (streams on shared connections).
 */
abstract class LoopPool {
    /** Netty's own default, for a bootstrap that sets none. */
    private static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 30_000;
    private static final String CONNECTING = "connecting";
    final ConnectionPool parent;
    final EventLoop loop;
    final PoolConfig config;
    final ClusterObserver observer;
    private final Bootstrap bootstrap;
    private final UpstreamTls tls;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private volatile int waiterCount;
    /** Requests in flight: leased connections (HTTP/1.1) or open streams (HTTP/2). Written by the subclass. */
    volatile int leasedCount;
    /** Connections carrying no request. Written by the subclass. */
    volatile int idleCount;
    private ScheduledFuture<?> sweeper;
    private boolean serveScheduled;

    LoopPool(ConnectionPool parent, EventLoop loop, Bootstrap bootstrap) {
        this.parent = parent;
        this.loop = loop;
        this.bootstrap = bootstrap;
        this.config = parent.config();
        this.observer = parent.observer();
        this.tls = parent.tls();
    }

    /** Lends from the connections this loop already has; false when none can take the request now. */
    abstract boolean lendExisting(AcquireCallback callback);

    /** Whether {@link #lendExisting} would succeed; may drop connections found dead or expired. */
    abstract boolean canLendExisting();

    /** Opens a new connection for {@code callback}; its capacity under the cap is already reserved. */
    abstract void connect(AcquireCallback callback);

    final int leasedCount() {
        return leasedCount;
    }

    final int idleCount() {
        return idleCount;
    }

    /** Closes the least recently used idle connection, to give its capacity to another loop. */
    abstract void closeOneIdle();

    abstract void closeIdle();

    /** Closes idle connections past their idle time or lifetime; runs periodically while any are idle. */
    abstract void sweep();

    Endpoint endpoint() {
        return parent.endpoint();
    }

    EventLoop loop() {
        return loop;
    }

    int waiterCount() {
        return waiterCount;
    }

    final void acquire(AcquireCallback callback, boolean fresh) {
        // a closed pool still lends, to requests that began on the snapshot it belonged to: a reload or an endpoint
        // removal must not fail them; it keeps nothing idle, so its connections close as those requests end
        if (!fresh && !parent.isClosed() && lendExisting(callback)) {
            return;
        }
        if (parent.tryReserveConnection()) {
            connect(callback);
        } else if (parent.tryReservePending()) {
            waiters.add(new Waiter(callback));
            waiterCount = waiters.size();
            parent.askOtherLoopsToFreeIdle(this);
        } else {
            callback.acquireFailed(ProxyError.POOL_EXHAUSTED, null);
        }
    }

    boolean hasWaiters() {
        return !waiters.isEmpty();
    }

    /** Capacity was freed somewhere: hand idle connections or new ones to the waiting requests. */
    final void scheduleServe() {
        if (loop.inEventLoop()) {
            if (serveScheduled) {
                return;
            }
            serveScheduled = true;
        }
        loop.execute(this::serveWaiters);
    }

    private void serveWaiters() {
        serveScheduled = false;
        while (!waiters.isEmpty()) {
            if (!parent.isClosed() && canLendExisting()) {
                lendExisting(takeWaiter().callback);
            } else if (parent.tryReserveConnection()) {
                connect(takeWaiter().callback);
            } else {
                return;
            }
        }
    }

    /** The pool was closed: its idle connections go now; requests still waiting are served as capacity frees. */
    void shutdown() {
        closeIdle();
        if (sweeper != null) {
            sweeper.cancel(false);
            sweeper = null;
        }
    }

    private Waiter takeWaiter() {
        Waiter w = waiters.poll();
        waiterCount = waiters.size();
        parent.pendingDone();
        w.timeout.cancel(false);
        return w;
    }

    /**
     * Opens a TCP connection to the endpoint and, for a TLS cluster, completes its handshake (which gets the connect
     * timeout again); then tells {@code opening} exactly once whether the connection came up.
     */
    final void open(Opening opening) {
        long started = System.nanoTime();
        ChannelFuture f = bootstrap.connect(parent.endpoint().socketAddress());
        Channel ch = f.channel();
        ch.pipeline().addLast(CONNECTING, Connecting.INSTANCE);
        opening.registered(ch, started);
        f.addListener(x -> {
            if (!x.isSuccess() || !opening.stillOpening()) {
                openFailed(ch, opening, x.cause() instanceof ConnectTimeoutException
                        ? ProxyError.UPSTREAM_CONNECT_TIMEOUT : ProxyError.UPSTREAM_CONNECT_FAILURE, x.cause());
            } else if (tls == null) {
                opened(ch, opening, started);
            } else {
                Endpoint e = parent.endpoint();
                SslHandler ssl = tls.newHandler(ch.alloc(), e.address().host(), e.address().port());
                ssl.setHandshakeTimeoutMillis(connectTimeoutMillis());
                ch.pipeline().addFirst("tls", ssl);
                ssl.handshakeFuture().addListener(h -> {
                    if (h.isSuccess() && opening.stillOpening()) {
                        opened(ch, opening, started);
                    } else {
                        openFailed(ch, opening, ProxyError.UPSTREAM_TLS_FAILURE, h.cause());
                    }
                });
            }
        });
    }

    private void opened(Channel ch, Opening opening, long started) {
        if (ch.pipeline().get(CONNECTING) != null) {
            ch.pipeline().remove(CONNECTING);
        }
        observer.connected(System.nanoTime() - started);
        opening.opened();
    }

    private void openFailed(Channel ch, Opening opening, ProxyError error, Throwable cause) {
        observer.connectFailed();
        ch.close();
        opening.failed(error, cause);
    }

    /**
     * The last handler of a connection until it is up: an exception on it then (the socket failing while it
     * connects) is the connect failing, which the connect or handshake future reports; without this it would reach
     * the pipeline's end, where Netty logs it as unhandled. The protocol's own handlers replace it when it is up.
     */
    @ChannelHandler.Sharable
    private static final class Connecting extends ChannelInboundHandlerAdapter {
        static final Connecting INSTANCE = new Connecting();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** A connection being opened by {@link #open}. */
    interface Opening {
        /** The channel exists (not yet connected): the moment to watch for its close. */
        void registered(Channel channel, long startedNanos);

        /** False once the connection was given up on (closed while connecting). */
        boolean stillOpening();

        /** TCP and TLS are up. */
        void opened();

        /** It did not come up; the channel is closed. */
        void failed(ProxyError error, Throwable cause);
    }

    /**
     * Closes an idle connection taken out of the pool, after the event loop has handled the I/O events at hand: epoll
     * reports ready sockets by file descriptor number, so a connection closed now while an event of it is still
     * waiting in the current batch frees its number, the new connection opened for the same request may get it, and
     * that stale event would then reach (and close) the new connection before it has connected.
     */
    final void closeLater(Channel ch) {
        loop.execute(ch::close);
    }

    /** The cluster's connect timeout, which also bounds a new connection's handshakes. */
    final int connectTimeoutMillis() {
        return bootstrap.config().options().get(ChannelOption.CONNECT_TIMEOUT_MILLIS) instanceof Integer ms
                ? ms : DEFAULT_CONNECT_TIMEOUT_MILLIS;
    }

    final boolean withinLifetime(long createdNanos, long now) {
        return config.maxLifeTime().isZero() || now - createdNanos < config.maxLifeTime().toNanos();
    }

    final void startSweeper() {
        if (sweeper == null) {
            long period = Math.max(50, Math.min(1000, config.maxIdleTime().toMillis() / 2));
            sweeper = loop.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
        }
    }

    /** A request waiting at the cap, with the timer that fails it after the acquire timeout. */
    private final class Waiter {
        final AcquireCallback callback;
        final Future<?> timeout;

        Waiter(AcquireCallback callback) {
            this.callback = callback;
            this.timeout = loop.schedule(() -> {
                if (waiters.remove(this)) {
                    waiterCount = waiters.size();
                    parent.pendingDone();
                    observer.acquireTimedOut();
                    callback.acquireFailed(ProxyError.POOL_ACQUIRE_TIMEOUT, null);
                }
            }, config.acquireTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
    }
}
