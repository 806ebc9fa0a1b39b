package dev.proxy.core.upstream;

import dev.proxy.core.Endpoint;
import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.PoolConfig;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.tls.UpstreamTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded pool of connections to one endpoint: HTTP/1.1 connections lent one request at a time, or HTTP/2
 * connections lending a stream per request. Connections are kept per event loop, so a request normally gets a
 * connection of its own loop with no locking and no thread hop; the cap on open connections and on waiting requests
 * is shared by all loops (two atomic counters, touched only when a connection opens or closes or a request must
 * wait). Thread-safe.
 */
public final class ConnectionPool {
    private final Endpoint endpoint;
    private final PoolConfig config;
    private final Bootstrap bootstrap;
    private final ClusterObserver observer;
    private final UpstreamTls tls;
    private final IdleTimeoutLearner idleLearner;
    private final boolean http2;
    private final ConcurrentHashMap<EventLoop, LoopPool> loops = new ConcurrentHashMap<>();
    /**
     * The same loop pools as an array, replaced when one is added: what the request path reads, with no hashing,
     * and {@link #leased()} with no iterator.
     */
    private volatile LoopPool[] loopArray = new LoopPool[0];
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param bootstrap a configured upstream bootstrap (channel type, options, handler); cloned per event loop
     * @param observer hears this pool's connects, leases and closes with those of the cluster's other pools
     */
    public ConnectionPool(Endpoint endpoint, PoolConfig config, Bootstrap bootstrap, ClusterObserver observer) {
        this(endpoint, config, bootstrap, observer, null);
    }

    /**
     * @param tls TLS to the endpoint: each new connection completes its handshake before it is lent; null for
     *     plain HTTP
     */
    public ConnectionPool(Endpoint endpoint, PoolConfig config, Bootstrap bootstrap, ClusterObserver observer,
                          UpstreamTls tls) {
        this.endpoint = requireNonNull(endpoint, "endpoint");
        this.config = requireNonNull(config, "config");
        this.bootstrap = requireNonNull(bootstrap, "bootstrap");
        this.observer = requireNonNull(observer, "observer");
        this.tls = tls;
        this.idleLearner = new IdleTimeoutLearner(System::nanoTime, config.learnIdleTimeout());
        this.http2 = bootstrap.config().handler() instanceof UpstreamChannelInitializer u && u.isHttp2();
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    PoolConfig config() {
        return config;
    }

    ClusterObserver observer() {
        return observer;
    }

    UpstreamTls tls() {
        return tls;
    }

    IdleTimeoutLearner idleLearner() {
        return idleLearner;
    }

    /** The idle time after which this endpoint was seen to close kept-alive connections; empty until one is seen. */
    public Optional<Duration> learnedIdleTimeout() {
        long nanos = idleLearner.learnedNanos();
        return nanos == 0 ? Optional.empty() : Optional.of(Duration.ofNanos(nanos));
    }

    /**
     * A request's reused connection closed before any response (the stale keep-alive race): counted, and
     * {@code resent} says whether the request goes again on a new connection or failed. Any thread.
     */
    public void reusedConnectionLost(boolean resent) {
        if (http2) {
            // a stream lost on a shared HTTP/2 connection is no keep-alive race: GOAWAY says which streams may be resent
            return;
        }
        String address = endpoint.toString();
        observer.staleClose(address);
        if (!resent) {
            observer.staleRequestFailed(address);
        }
    }

    /**
     * Leases a connection for a request running on {@code loop}; must be called on {@code loop}. The callback may run
     * before this method returns.
     */
    public void acquire(EventLoop loop, AcquireCallback callback) {
        loopPool(loop).acquire(callback, false);
    }

    /** Like {@link #acquire} but always opens a new connection (within the cap): for a retry after a stale one. */
    public void acquireNew(EventLoop loop, AcquireCallback callback) {
        loopPool(loop).acquire(callback, true);
    }

    public PoolStats stats() {
        int leased = 0;
        int idle = 0;
        int waiting = 0;
        for (LoopPool p : loops.values()) {
            leased += p.leasedCount();
            idle += p.idleCount();
            waiting += p.waiterCount();
        }
        return new PoolStats(open.get(), leased, idle, waiting);
    }

    /**
     * Retires the pool: idle connections close now and leased ones when released. Requests that still come (they
     * began on an older snapshot) get a connection of their own, closed after their response.
     */
    public void close() {
        closed = true;
        for (LoopPool p : loops.values()) {
            p.loop().execute(p::shutdown);
        }
    }

    /** Closes the idle connections (to give back file descriptors and buffers); the pool keeps lending. */
    public void closeIdle() {
        for (LoopPool p : loops.values()) {
            p.loop().execute(p::closeIdle);
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Requests in flight to this endpoint (HTTP/1.1 connections leased, HTTP/2 streams open). Lock- and allocation-free. */
    public int leased() {
        int n = 0;
        for (LoopPool p : loopArray) {
            n += p.leasedCount();
        }
        return n;
    }

    private LoopPool loopPool(EventLoop loop) {
        // a scan of a handful of loops beats hashing the loop on every request (seen in profiles)
        for (LoopPool p : loopArray) {
            if (p.loop == loop) {
                return p;
            }
        }
        LoopPool p = loops.get(loop);
        if (p == null) {
            p = loops.computeIfAbsent(loop, l -> {
                Bootstrap own = bootstrap.clone(l);
                LoopPool created = own.config().handler() instanceof UpstreamChannelInitializer u && u.isHttp2()
                        ? new Http2LoopPool(this, l, own, u) : new Http1LoopPool(this, l, own);
                synchronized (loops) {
                    LoopPool[] next = java.util.Arrays.copyOf(loopArray, loopArray.length + 1);
                    next[next.length - 1] = created;
                    loopArray = next;
                }
                return created;
            });
        }
        return p;
    }

    boolean tryReserveConnection() {
        return incrementBelow(open, config.maxConnectionsPerEndpoint());
    }

    boolean tryReservePending() {
        return incrementBelow(pending, config.maxPendingAcquires());
    }

    /** Adds one unless that would pass {@code limit}; the count never shows more than the limit, even briefly. */
    private static boolean incrementBelow(AtomicInteger counter, int limit) {
        int n;
        do {
            n = counter.get();
            if (n >= limit) {
                return false;
            }
        } while (!counter.compareAndSet(n, n + 1));
        return true;
    }

    boolean hasWaiters() {
        return pending.get() > 0;
    }

    void pendingDone() {
        pending.decrementAndGet();
    }

    /** A connection closed: its capacity goes to whichever loop has requests waiting. */
    void connectionClosed() {
        open.decrementAndGet();
        if (pending.get() > 0) {
            for (LoopPool p : loops.values()) {
                if (p.waiterCount() > 0) {
                    p.scheduleServe();
                }
            }
        }
    }

    /** At the cap with requests waiting on {@code waiting}'s loop: an idle connection of another loop is closed. */
    void askOtherLoopsToFreeIdle(LoopPool waiting) {
        for (LoopPool p : loops.values()) {
            if (p != waiting && p.idleCount() > 0) {
                p.loop().execute(p::closeOneIdle);
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "ConnectionPool[" + endpoint + " " + stats() + "]";
    }
}
