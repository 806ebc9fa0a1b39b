package dev.proxy.core.upstream;

import dev.proxy.core.ProxyError;
import dev.proxy.core.config.PoolConfig;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.tls.UpstreamTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * The part of one endpoint's pool that belongs to one event loop: its idle connections (most recently used first)
 * and the requests of this loop waiting at the cap. Confined to its event loop, so it needs no locks; only the
 * capacity counters in {@link ConnectionPool} are shared. Counts other threads read are volatile, written by the
 * loop alone.
 */
final class LoopPool {
    private final ConnectionPool parent;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    /** The upstream pipeline's builder: it says whether connections speak HTTP/2 and sets up their streams. */
    private final UpstreamChannelInitializer streams;
    private final PoolConfig config;
    private final ClusterObserver observer;
    private final UpstreamTls tls;
    private final ArrayDeque<PooledConnection> idle = new ArrayDeque<>();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private volatile int idleCount;
    private volatile int leasedCount;
    private volatile int waiterCount;
    private ScheduledFuture<?> sweeper;
    private boolean serveScheduled;

    LoopPool(ConnectionPool parent, EventLoop loop, Bootstrap bootstrap) {
        this.parent = parent;
        this.loop = loop;
        this.bootstrap = bootstrap;
        this.streams = bootstrap.config().handler() instanceof UpstreamChannelInitializer u ? u : null;
        this.config = parent.config();
        this.observer = parent.observer();
        this.tls = parent.tls();
    }

    Endpoint endpoint() {
        return parent.endpoint();
    }

    EventLoop loop() {
        return loop;
    }

    int idleCount() {
        return idleCount;
    }

    int leasedCount() {
        return leasedCount;
    }

    int waiterCount() {
        return waiterCount;
    }

    void acquire(AcquireCallback callback, boolean fresh) {
        // a closed pool still lends, to requests that began on the snapshot it belonged to: a reload or an endpoint
        // removal must not fail them; it keeps nothing idle, so its connections close as those requests end
        PooledConnection c = fresh || parent.isClosed() ? null : pollIdle();
        if (c != null) {
            lease(c);
            observer.leased(true);
            lend(c, callback);
        } else if (parent.tryReserveConnection()) {
            connect(callback);
        } else if (parent.tryReservePending()) {
            waiters.add(new Waiter(callback));
            waiterCount = waiters.size();
            parent.askOtherLoopsToFreeIdle(this);
        } else {
            callback.acquireFailed(ProxyError.POOL_EXHAUSTED, null);
        }
    }

    void release(PooledConnection c) {
        if (c.state != PooledConnection.State.LEASED) {
            return;
        }
        leasedCount--;
        c.requests++;
        long now = System.nanoTime();
        // at the cap with requests waiting on other loops only, this connection's capacity is worth more there:
        // closing it lets a waiting loop open one of its own (connections never move between loops)
        boolean neededElsewhere = waiters.isEmpty() && parent.hasWaiters();
        if (neededElsewhere || parent.isClosed() || !c.connection().isActive() || !withinLifetime(c, now)
                || (config.maxRequestsPerConnection() > 0 && c.requests >= config.maxRequestsPerConnection())) {
            c.state = PooledConnection.State.CLOSING;
            c.connection().close();
            return;
        }
        c.state = PooledConnection.State.IDLE;
        c.idleSinceNanos = now;
        idle.addFirst(c);
        idleCount = idle.size();
        startSweeper();
        if (!waiters.isEmpty()) {
            scheduleServe();
        }
    }

    /**
     * A leased connection leaves the pool for good (a protocol upgrade): it stops counting as leased and as open, so
     * its capacity goes to waiting requests now, not when the long-lived connection finally closes.
     */
    void detach(PooledConnection c) {
        if (c.state != PooledConnection.State.LEASED) {
            return;
        }
        leasedCount--;
        c.state = PooledConnection.State.DETACHED;
        parent.connectionClosed();
    }

    /** Called once per connection when its channel closes, whatever its state was. */
    private void onClosed(PooledConnection c) {
        if (c.state != PooledConnection.State.CONNECTING && c.state != PooledConnection.State.CLOSED) {
            observer.connectionClosed();
        }
        switch (c.state) {
            case IDLE -> {
                idle.remove(c);
                idleCount = idle.size();
            }
            case LEASED -> leasedCount--;
            case DETACHED, CLOSED -> {
                // a detached connection's capacity was given back when it left the pool
                c.state = PooledConnection.State.CLOSED;
                return;
            }
            default -> { }
        }
        c.state = PooledConnection.State.CLOSED;
        parent.connectionClosed();
    }

    /** Capacity was freed somewhere: hand idle connections or new ones to the waiting requests. */
    void scheduleServe() {
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
            PooledConnection c = pollIdle();
            if (c != null) {
                Waiter w = takeWaiter();
                lease(c);
                observer.leased(true);
                lend(c, w.callback);
            } else if (parent.tryReserveConnection()) {
                connect(takeWaiter().callback);
            } else {
                return;
            }
        }
    }

    void closeOneIdle() {
        PooledConnection c = idle.pollLast();
        if (c != null) {
            idleCount = idle.size();
            c.state = PooledConnection.State.CLOSING;
            c.connection().close();
        }
    }

    void closeIdle() {
        PooledConnection c;
        while ((c = idle.pollFirst()) != null) {
            c.state = PooledConnection.State.CLOSING;
            c.connection().close();
        }
        idleCount = 0;
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

    private void lease(PooledConnection c) {
        c.state = PooledConnection.State.LEASED;
        leasedCount++;
    }

    private PooledConnection pollIdle() {
        long now = System.nanoTime();
        PooledConnection c;
        while ((c = idle.pollFirst()) != null) {
            if (c.connection().isActive() && !idleExpired(c, now) && withinLifetime(c, now)) {
                idleCount = idle.size();
                return c;
            }
            c.state = PooledConnection.State.CLOSING;
            c.connection().close();
        }
        idleCount = 0;
        return null;
    }

    private void connect(AcquireCallback callback) {
        long started = System.nanoTime();
        ChannelFuture f = bootstrap.connect(parent.endpoint().socketAddress());
        PooledConnection c = new PooledConnection(f.channel(), this, started);
        f.channel().closeFuture().addListener(x -> onClosed(c));
        f.addListener(x -> {
            if (!x.isSuccess() || c.state != PooledConnection.State.CONNECTING) {
                connectFailed(f.channel(), callback, x.cause() instanceof ConnectTimeoutException
                        ? ProxyError.UPSTREAM_CONNECT_TIMEOUT : ProxyError.UPSTREAM_CONNECT_FAILURE, x.cause());
            } else if (tls == null) {
                connected(c, callback, started);
            } else {
                // the connection is lent once its handshake is done, which gets the connect timeout again
                Endpoint e = parent.endpoint();
                SslHandler ssl = tls.newHandler(f.channel().alloc(), e.address().host(), e.address().port());
                Integer connectMillis = bootstrap.config().options().get(ChannelOption.CONNECT_TIMEOUT_MILLIS)
                        instanceof Integer ms ? ms : null;
                if (connectMillis != null) {
                    ssl.setHandshakeTimeoutMillis(connectMillis);
                }
                f.channel().pipeline().addFirst("tls", ssl);
                ssl.handshakeFuture().addListener(h -> {
                    if (h.isSuccess() && c.state == PooledConnection.State.CONNECTING) {
                        connected(c, callback, started);
                    } else {
                        connectFailed(f.channel(), callback, ProxyError.UPSTREAM_TLS_FAILURE, h.cause());
                    }
                });
            }
        });
    }

    private void connected(PooledConnection c, AcquireCallback callback, long started) {
        if (streams != null && streams.isHttp2()) {
            streams.addHttp2(c.connection());
        } else {
            c.connection().pipeline().addLast(new UpstreamHandler(c));
        }
        observer.connected(System.nanoTime() - started);
        lease(c);
        observer.leased(false);
        lend(c, callback);
    }

    /**
     * Hands a leased connection to its lessee. Over HTTP/2 the lease is a new stream on the connection (one request
     * at a time per connection, as with HTTP/1.1, so the pool's accounting is the same); a stream that cannot be
     * opened (the upstream sent GOAWAY) ends the lease with the connection.
     */
    private void lend(PooledConnection c, AcquireCallback callback) {
        if (streams == null || !streams.isHttp2()) {
            callback.acquired(c);
            return;
        }
        new Http2StreamChannelBootstrap(c.connection()).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel stream) {
                streams.initStream(stream, c);
            }
        }).open().addListener((Future<Http2StreamChannel> f) -> {
            if (f.isSuccess() && c.state == PooledConnection.State.LEASED) {
                c.stream = f.getNow();
                callback.acquired(c);
            } else {
                if (f.isSuccess()) {
                    f.getNow().close();
                }
                c.close();
                callback.acquireFailed(ProxyError.UPSTREAM_RESET, f.cause());
            }
        });
    }

    private void connectFailed(Channel ch, AcquireCallback callback, ProxyError error, Throwable cause) {
        observer.connectFailed();
        ch.close();
        callback.acquireFailed(error, cause);
    }

    private boolean idleExpired(PooledConnection c, long now) {
        long limit = Math.min(config.maxIdleTime().toNanos(), c.keepAliveNanos);
        return now - c.idleSinceNanos >= limit;
    }

    private boolean withinLifetime(PooledConnection c, long now) {
        return config.maxLifeTime().isZero() || now - c.createdNanos() < config.maxLifeTime().toNanos();
    }

    private void startSweeper() {
        if (sweeper == null) {
            long period = Math.max(50, Math.min(1000, config.maxIdleTime().toMillis() / 2));
            sweeper = loop.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Iterator<PooledConnection> it = idle.descendingIterator(); it.hasNext(); ) {
            PooledConnection c = it.next();
            if (idleExpired(c, now) || !withinLifetime(c, now)) {
                it.remove();
                c.state = PooledConnection.State.CLOSING;
                c.connection().close();
            }
        }
        idleCount = idle.size();
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
