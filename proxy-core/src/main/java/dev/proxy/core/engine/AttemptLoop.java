package dev.proxy.core.engine;

import dev.proxy.core.ProxyError;
import dev.proxy.core.UpstreamOutcome;
import dev.proxy.core.filter.RetryPolicy;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.upstream.AcquireCallback;
import dev.proxy.core.Endpoint;
import dev.proxy.core.upstream.PooledConnection;
import dev.proxy.core.upstream.UpstreamListener;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The attempts of one exchange at its cluster, in a plain loop: the circuit breaker and the balancer choose an
 * endpoint (one not tried yet, where possible), its pool lends a connection, the outcome is reported once to the
 * breaker, outlier detection and the observers, and the {@link RetryPolicy} and retry budget say whether another
 * attempt follows. Owns the attempt's endpoint, breaker permit and connection, as an explicit {@link State}.
 *
 * <p>Confined to the client's event loop, which is also the upstream connection's. The exchange drives it: what is
 * sent and when belongs to the exchange, whom to ask and what it learned of the answer belongs here.
 */
final class AttemptLoop extends EndpointLease {

    /** Where the current attempt is. */
    enum State {
        /** No attempt in flight: before the first, or after one failed and before the next is decided. */
        IDLE,
        /** An endpoint is chosen, its breaker's permit held; its pool is lending a connection. */
        LEASING,
        /** The connection is there: the request goes or has gone; the response head is awaited. Permit held. */
        CONNECTED,
        /** The response head arrived and was reported; the connection carries the response's body. */
        ANSWERED,
        /** The attempt failed and another one follows after a backoff. */
        BACKOFF
    }

    private final RetryPolicy retry;
    private final ExchangeObserver observer;
    private final RequestBody body;
    private final ResponseRelay response;
    private final boolean idempotent;
    /**
     * A route without a deadline. A constant rather than an {@code OptionalLong}: every request carries its deadline,
     * and a present {@code OptionalLong} would be an allocation per request; {@code Long.MAX_VALUE} also never
     * passes, so comparisons need no special case.
     */
    static final long NO_DEADLINE = Long.MAX_VALUE;

    /** When the route's deadline passes; {@link #NO_DEADLINE} without one. */
    private final long deadlineNanos;
    private State state = State.IDLE;
    private List<Endpoint> tried;
    private PooledConnection connection;
    private int count;
    private long startNanos;
    private boolean reused;
    private boolean staleRetried;

    private AttemptLoop(ExchangeFacts facts, RetryPolicy retry, boolean idempotent, long deadlineNanos) {
        super(facts.target().pickCluster());
        this.retry = retry;
        this.observer = facts.observer();
        this.body = facts.body();
        this.response = facts.response();
        this.idempotent = idempotent;
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * The attempts of a request the admission filters passed: its route's retry policy counts it (for the retry
     * budget), its body is kept for a retry when the policy may make one, and its cluster is chosen (weighted,
     * among the route's clusters).
     *
     * @param deadlineNanos when the route's deadline passes; {@link #NO_DEADLINE} without one
     */
    static AttemptLoop start(ExchangeFacts facts, boolean idempotent, long deadlineNanos) {
        RetryPolicy retry = facts.target().retry();
        retry.onRequest();
        if (retry.maxAttempts() > 1) {
            facts.body().keepForRetries(retry.bufferBodyUpTo());
        }
        AttemptLoop loop = new AttemptLoop(facts, retry, idempotent, deadlineNanos);
        facts.attempts(loop);
        return loop;
    }

    State state() {
        return state;
    }

    /** When the route's deadline passes; {@link #NO_DEADLINE} without one. */
    long deadlineNanos() {
        return deadlineNanos;
    }

    boolean hasDeadline() {
        return deadlineNanos != NO_DEADLINE;
    }

    /** Attempts made so far, the current one included. */
    int count() {
        return count;
    }

    long startNanos() {
        return startNanos;
    }

    /** The current attempt's connection, or null while there is none. */
    PooledConnection connection() {
        return connection;
    }

    /** Whether the breaker's permit for the current attempt is held (the attempt has not been reported yet). */
    boolean holdsPermit() {
        return state == State.LEASING || state == State.CONNECTED;
    }

    /**
     * Starts an attempt: the endpoint is picked as {@link #pickWithPermit} says, avoiding those tried. Empty with the
     * endpoint chosen (then {@link #lease}), else why none could be: NO_ENDPOINT when the balancer has nothing
     * (NO_SUBSET_ENDPOINT for a route's empty subset that may not fall back), CIRCUIT_OPEN when every pick's breaker
     * refused.
     */
    Optional<ProxyError> pick(HttpRequest request, InetSocketAddress client) {
        count++;
        Optional<ProxyError> refusal = pickWithPermit(request, client, tried);
        if (refusal.isEmpty()) {
            state = State.LEASING;
        }
        return refusal;
    }

    /** The chosen endpoint's address, for a Host header when the client sent none. */
    String endpointAuthority() {
        return pool().endpoint().address().toString();
    }

    /** Asks the chosen endpoint's pool for a connection; the attempt's time starts now. */
    void lease(EventLoop loop, AcquireCallback callback, long nowNanos) {
        startNanos = nowNanos;
        acquire(loop, callback);
    }

    /** The pool lent {@code c}: it is this attempt's, and its events go to {@code listener}. */
    void connected(PooledConnection c, UpstreamListener listener) {
        connection = c;
        reused = c.isReused();
        state = State.CONNECTED;
        c.attach(listener);
    }

    Channel channel() {
        return connection.channel();
    }

    /**
     * A reused keep-alive connection ended before any response: the classic race with an upstream that closed it
     * while idle. A request safe to repeat, whose body did not go out, is sent once more on a new connection to the
     * same endpoint ({@link #leaseNew}), whatever the retry policy says: the endpoint did nothing wrong. True when
     * it may (the permit stays held); false when the loss is the attempt's failure.
     */
    boolean retryStale(boolean idempotent, boolean bytesSent) {
        if (!reused) {
            return false;
        }
        boolean again = !staleRetried && !bytesSent && idempotent;
        pool().reusedConnectionLost(again);
        if (again) {
            staleRetried = true;
            observeRetry(0, ProxyError.UPSTREAM_RESET);
        }
        return again;
    }

    /** Asks the same endpoint's pool for a new connection (never an idle one), for the stale-connection retry. */
    void leaseNew(EventLoop loop, AcquireCallback callback) {
        state = State.LEASING;
        acquireNew(loop, callback);
    }

    /**
     * The upstream answered the current attempt with {@code code}: tells the breaker, outlier detection and the
     * observers, once. The connection stays for the response's body.
     */
    void answered(int code, OptionalLong retryAfterNanos, long nowNanos) {
        if (!holdsPermit()) {
            return;
        }
        state = State.ANSWERED;
        long took = nowNanos - startNanos;
        observeEnded(code, null, took);
        cluster().report(endpoint(), UpstreamOutcome.ofStatus(code).failsEndpoint());
        cluster().guard().onResponse(endpoint(), code, took, retryAfterNanos);
    }

    /** The current attempt failed with {@code error}: its connection is closed, and the failure reported once. */
    void failed(ProxyError error, long nowNanos) {
        closeConnection();
        if (!holdsPermit()) {
            return;
        }
        // the route's deadline says something of the endpoint only once the request was with it, not while the pool
        // was still lending a connection (outlier detection; the breaker has always counted it)
        boolean sent = state == State.CONNECTED;
        state = State.IDLE;
        long took = nowNanos - startNanos;
        observeEnded(0, error, took);
        if (UpstreamOutcome.of(error).failsEndpoint()) {
            if (sent || error != ProxyError.ROUTE_TIMEOUT) {
                cluster().report(endpoint(), true);
            }
            cluster().guard().onFailure(endpoint(), error, took);
        } else {
            cluster().guard().release(endpoint());
        }
    }

    /**
     * The exchange fails with {@code error}: an attempt in flight fails with it; a response cut after its head (the
     * breaker heard of the attempt when the head came) is told to outlier detection. The connection is closed.
     */
    void abort(ProxyError error, long nowNanos) {
        if (holdsPermit()) {
            failed(error, nowNanos);
            return;
        }
        if (state == State.ANSWERED && UpstreamOutcome.of(error).failsEndpoint()) {
            cluster().report(endpoint(), true);
        }
        closeConnection();
    }

    /**
     * The current attempt failed with {@code error} before a response reached the client: reports it, then says how
     * long to wait before the next attempt; empty when there is none (the policy does not retry it, or
     * {@link #mayRetry} says no).
     */
    OptionalLong failedRetryIn(ProxyError error, long nowNanos) {
        boolean reached = state == State.CONNECTED;
        failed(error, nowNanos);
        if (response.started() || !retry.retriesOn(error)) {
            return OptionalLong.empty();
        }
        return retryIn(reached, retry.backoffNanos(count), nowNanos);
    }

    /**
     * The upstream answered {@code code} (already {@link #answered}): how long to wait before trying again, when the
     * policy retries that status and any {@code Retry-After} is short enough (then it is the wait); else empty, and
     * the answer is relayed. Empty allocates nothing, so the answers that are relayed, nearly all, cost nothing here.
     */
    OptionalLong answeredRetryIn(int code, OptionalLong retryAfterNanos, long nowNanos) {
        if (!retry.retriesOnStatus(code)
                || retryAfterNanos.isPresent() && retryAfterNanos.getAsLong() > retry.retryAfterMaxNanos()) {
            return OptionalLong.empty();
        }
        long wait = retryAfterNanos.isPresent() ? retryAfterNanos.getAsLong() : retry.backoffNanos(count);
        return retryIn(true, wait, nowNanos);
    }

    /**
     * The response's {@code Retry-After} as the breaker and the retry policy heed it: only a 429's or a 503's, in
     * nanoseconds from now; empty when the status is another or the header is absent or unreadable.
     */
    static OptionalLong retryAfter(int code, HttpResponse head) {
        if (code != 429 && code != 503) {
            return OptionalLong.empty();
        }
        long nanos = MessageHeaders.retryAfterNanos(head);
        return nanos < 0 ? OptionalLong.empty() : OptionalLong.of(nanos);
    }

    private OptionalLong retryIn(boolean reachedUpstream, long waitNanos, long nowNanos) {
        return mayRetry(reachedUpstream, waitNanos, nowNanos) ? OptionalLong.of(waitNanos) : OptionalLong.empty();
    }

    /**
     * Whether another attempt may start after waiting {@code waitNanos}: no response has started, attempts are left,
     * the body can be sent again (none went, or all that went is kept), the request is idempotent or never reached
     * the upstream, the deadline leaves the time, and the retry budget has room (asked last, as it spends).
     */
    private boolean mayRetry(boolean reachedUpstream, long waitNanos, long nowNanos) {
        if (response.started() || count >= retry.maxAttempts() || !body.canResend()) {
            return false;
        }
        if (reachedUpstream && !idempotent) {
            return false;
        }
        if (hasDeadline() && nowNanos + waitNanos >= deadlineNanos) {
            return false;
        }
        return retry.tryAcquireRetry();
    }

    /** The next attempt follows a backoff, and avoids this attempt's endpoint if it can. */
    void backoff(int code, ProxyError error) {
        observeRetry(code, error);
        if (tried == null) {
            tried = new ArrayList<>(2);
        }
        tried.add(endpoint());
        state = State.BACKOFF;
    }

    /**
     * The exchange ended: a permit still held is given back (the attempt is reported as ended with {@code error}
     * to the observers only), and the connection goes back to its pool when {@code reusable}, else is closed.
     */
    void end(ProxyError error, boolean reusable, long nowNanos) {
        if (holdsPermit()) {
            observeEnded(0, error, nowNanos - startNanos);
            cluster().guard().release(endpoint());
        }
        state = State.IDLE;
        PooledConnection c = connection;
        connection = null;
        if (c != null) {
            c.channel().config().setAutoRead(true);
            if (reusable) {
                c.release();
            } else {
                c.close();
            }
        }
    }

    /** Hands the connection over (to a tunnel): it is no longer this loop's, nor its pool's to count. */
    PooledConnection takeConnection() {
        PooledConnection c = connection;
        connection = null;
        return c;
    }

    void closeConnection() {
        PooledConnection c = connection;
        connection = null;
        if (c != null) {
            c.close();
        }
    }

    private void observeEnded(int code, ProxyError error, long took) {
        observer.attemptEnded(cluster().name(), code, error, took);
        cluster().observer().attemptEnded(code, error, took);
    }

    private void observeRetry(int code, ProxyError error) {
        observer.retrying(cluster().name(), code, error);
        cluster().observer().retrying(code, error);
    }
}
