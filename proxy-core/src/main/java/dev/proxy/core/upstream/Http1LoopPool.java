package dev.proxy.core.upstream;

import dev.proxy.core.ProxyError;
import dev.proxy.core.upstream.Http1Connection.State;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * One loop's HTTP/1.1 connections to an endpoint: each carries one request at a time; idle ones most recent first,
 * and lent most recent first (LIFO), so the connection least likely to have been closed by the upstream goes out.
 * An idle connection is reused only while idle for less than the shortest of {@code pool.maxIdleTime}, the upstream's
 * announced {@code Keep-Alive: timeout} and, where none is announced, what the endpoint's {@link IdleTimeoutLearner}
 * learned; one the upstream closes while idle teaches the learner.
 */
final class Http1LoopPool extends LoopPool {
    private final ArrayDeque<Http1Connection> idle = new ArrayDeque<>();
    private final IdleTimeoutLearner learner;

    Http1LoopPool(ConnectionPool parent, EventLoop loop, Bootstrap bootstrap) {
        super(parent, loop, bootstrap);
        this.learner = parent.idleLearner();
    }

    @Override
    boolean lendExisting(AcquireCallback callback) {
        if (!canLendExisting()) {
            return false;
        }
        Http1Connection c = idle.peekFirst();
        if (!callback.idempotent() && !freshEnoughForNonIdempotent(c, System.nanoTime())) {
            // even the freshest idle connection may be closed by the upstream as the request goes out, and a request
            // that must not be sent twice could not be resent: it gets a new connection; the idle ones stay for others
            if (parent.tryReserveConnection()) {
                connect(callback);
                return true;
            }
            // at the cap: the idle connection's slot goes to the new one (its own close is then not counted again)
            takeIdle();
            c.state = State.DETACHED;
            closeLater(c.channel());
            connect(callback);
            return true;
        }
        takeIdle();
        lease(c);
        observer.leased(true);
        callback.acquired(c);
        return true;
    }

    @Override
    boolean canLendExisting() {
        long now = System.nanoTime();
        Http1Connection c;
        while ((c = idle.peekFirst()) != null && !usable(c, now)) {
            idle.pollFirst();
            retire(c, now);
        }
        idleCount = idle.size();
        return c != null;
    }

    @Override
    void connect(AcquireCallback callback) {
        open(new Opening() {
            private Http1Connection c;

            @Override
            public void registered(Channel channel, long startedNanos) {
                c = new Http1Connection(channel, Http1LoopPool.this, startedNanos);
                channel.closeFuture().addListener(x -> onClosed(c));
            }

            @Override
            public boolean stillOpening() {
                return c.state == State.CONNECTING;
            }

            @Override
            public void opened() {
                c.channel().pipeline().addLast(new UpstreamHandler(c));
                lease(c);
                observer.leased(false);
                callback.acquired(c);
            }

            @Override
            public void failed(ProxyError error, Throwable cause) {
                callback.acquireFailed(error, cause);
            }
        });
    }

    void release(Http1Connection c) {
        if (c.state != State.LEASED) {
            return;
        }
        leasedCount--;
        c.requests++;
        long now = System.nanoTime();
        // at the cap with requests waiting on other loops only, this connection's capacity is worth more there:
        // closing it lets a waiting loop open one of its own (connections never move between loops)
        boolean neededElsewhere = !hasWaiters() && parent.hasWaiters();
        if (neededElsewhere || parent.isClosed() || !c.channel().isActive() || !withinLifetime(c.createdNanos(), now)
                || (config.maxRequestsPerConnection() > 0 && c.requests >= config.maxRequestsPerConnection())) {
            c.state = State.CLOSING;
            c.channel().close();
            return;
        }
        c.state = State.IDLE;
        c.idleSinceNanos = now;
        idle.addFirst(c);
        idleCount = idle.size();
        startSweeper();
        if (hasWaiters()) {
            scheduleServe();
        }
    }

    /**
     * A leased connection leaves the pool for good (a protocol upgrade): it stops counting as leased and as open, so
     * its capacity goes to waiting requests now, not when the long-lived connection finally closes.
     */
    void detach(Http1Connection c) {
        if (c.state != State.LEASED) {
            return;
        }
        leasedCount--;
        c.state = State.DETACHED;
        parent.connectionClosed();
    }

    /** Called once per connection when its channel closes, whatever its state was. */
    private void onClosed(Http1Connection c) {
        if (c.state != State.CONNECTING && c.state != State.CLOSED) {
            observer.connectionClosed();
        }
        switch (c.state) {
            case IDLE -> {
                // closed by the upstream (or the network) while idle: the proxy closes idle ones in state CLOSING
                long idleNanos = System.nanoTime() - c.idleSinceNanos;
                observer.staleClose(endpointAddress());
                if (c.keepAliveNanos == Long.MAX_VALUE) {
                    learner.observeIdleClose(idleNanos);
                }
                idle.remove(c);
                idleCount = idle.size();
            }
            case LEASED -> leasedCount--;
            case DETACHED, CLOSED -> {
                // a detached connection's capacity was given back when it left the pool
                c.state = State.CLOSED;
                return;
            }
            default -> { }
        }
        c.state = State.CLOSED;
        parent.connectionClosed();
    }

    @Override
    void closeOneIdle() {
        Http1Connection c = idle.pollLast();
        if (c != null) {
            idleCount = idle.size();
            c.state = State.CLOSING;
            c.channel().close();
        }
    }

    @Override
    void closeIdle() {
        Http1Connection c;
        while ((c = idle.pollFirst()) != null) {
            c.state = State.CLOSING;
            c.channel().close();
        }
        idleCount = 0;
    }

    @Override
    void sweep() {
        long now = System.nanoTime();
        for (Iterator<Http1Connection> it = idle.descendingIterator(); it.hasNext(); ) {
            Http1Connection c = it.next();
            if (idleExpired(c, now) || !withinLifetime(c.createdNanos(), now)) {
                it.remove();
                retire(c, now);
            }
        }
        idleCount = idle.size();
    }

    private void lease(Http1Connection c) {
        c.state = State.LEASED;
        leasedCount++;
    }

    /** Closes an idle connection taken out of the deque; counted when it is the learned limit that retires it. */
    private void retire(Http1Connection c, long now) {
        if (c.channel().isActive() && c.keepAliveNanos == Long.MAX_VALUE
                && now - c.idleSinceNanos < config.maxIdleTime().toNanos()
                && now - c.idleSinceNanos >= learner.reuseLimitNanos()) {
            observer.retiredByLearnedIdleTimeout(endpointAddress());
        }
        c.state = State.CLOSING;
        closeLater(c.channel());
    }

    private String endpointAddress() {
        return parent.endpoint().toString();
    }

    private Http1Connection takeIdle() {
        Http1Connection c = idle.pollFirst();
        idleCount = idle.size();
        return c;
    }

    private boolean usable(Http1Connection c, long now) {
        return c.channel().isActive() && !idleExpired(c, now) && withinLifetime(c.createdNanos(), now);
    }

    /** An announced {@code Keep-Alive: timeout} wins over what was learned; {@code maxIdleTime} caps both. */
    private boolean idleExpired(Http1Connection c, long now) {
        long announcedOrLearned = c.keepAliveNanos != Long.MAX_VALUE ? c.keepAliveNanos : learner.reuseLimitNanos();
        return now - c.idleSinceNanos >= Math.min(config.maxIdleTime().toNanos(), announcedOrLearned);
    }

    private boolean freshEnoughForNonIdempotent(Http1Connection c, long now) {
        // an announced timeout already has its margin (ProxyExchange takes 250 ms off it)
        long limit = c.keepAliveNanos != Long.MAX_VALUE ? c.keepAliveNanos : learner.nonIdempotentLimitNanos();
        return now - c.idleSinceNanos < limit;
    }
}
