package dev.proxy.core.engine;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.engine.ExchangeTimers.Timer;
import dev.proxy.core.filter.Verdict;
import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.core.runtime.RoutePlan;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;

/**
 * One request from a client and its response, as the explicit state machine {@link ExchangeState}: the head is
 * checked and routed ({@link RequestHeadCheck}), the route's admission filters run in chain order (concurrency
 * limit, rate limit, fault; each passes, delays or rejects), then the {@link AttemptLoop} asks the breaker and the
 * balancer for an endpoint and the pool for a connection, and {@link UpstreamSide} sends the request and relays the
 * response ({@link ResponseRelay}); a failed attempt is retried when the route's retry policy and the request
 * allow it. The exchange ends exactly once ({@link #finish}). Its timeouts, delays and backoffs share one scheduled
 * task ({@link ExchangeTimers}); what it reports of itself is {@link ExchangeFacts}.
 *
 * <p>Confined to the client channel's event loop, which is also the upstream connection's, so it needs no locks.
 * Ownership: every {@link HttpContent} handed to it is written to the other side (whose encoder releases it) or
 * released; what it holds or keeps for a retry ({@link RequestBody}) is released by {@link #finish}.
 */
final class ProxyExchange {
    private final ClientSide frontend;
    private final Channel client;
    private final ConfigSnapshot snapshot;
    private final HttpRequest request;
    private final ExchangeFacts facts;
    private final RequestBody body;
    private final ResponseRelay response;
    private final ExchangeTimers timers;
    private final ClientReply reply;
    private final UpstreamSide upstream;
    private ExchangeState state = ExchangeState.ROUTING;
    private AttemptLoop attempts;
    private MirrorExchange mirror;
    /** When the route's deadline passes, if it has one. */
    private long deadlineNanos = AttemptLoop.NO_DEADLINE;
    private Admission admission;
    /** The filter verdict that rejected the request, whose status and headers the error response takes. */
    private Verdict rejection;
    private ProxyError endError;

    /** Starts nothing yet ({@link #start} does); {@code protocol} is what the client sent {@code request} in. */
    ProxyExchange(ClientSide frontend, Channel client, ConfigSnapshot snapshot, HttpRequest request,
                  HttpProtocol protocol) {
        this.frontend = frontend;
        this.client = client;
        this.snapshot = snapshot;
        this.request = request;
        this.facts = new ExchangeFacts(frontend, client, request, protocol);
        this.body = facts.body();
        this.response = facts.response();
        this.timers = new ExchangeTimers(client.eventLoop(), System::nanoTime, this::timerExpired);
        this.reply = new ClientReply(facts);
        this.upstream = new UpstreamSide(this, facts, timers, reply);
    }

    boolean requestComplete() {
        return body.isComplete();
    }

    /** Whether the exchange ended after its response had started, so the client has an incomplete response. */
    boolean responseCut() {
        return response.wasCut();
    }

    /** Whether this is a WebSocket upgrade request still in progress, which a 101 may turn into a tunnel. */
    boolean awaitsUpgrade() {
        return upstream.webSocket() && state != ExchangeState.DONE;
    }

    /** The client connection closes after this exchange's response (unless a 101 makes it a tunnel). */
    void closeAfterResponse() {
        reply.closeAfter();
    }

    boolean isDone() {
        return state == ExchangeState.DONE;
    }

    /** Checks and routes the request head, starts the route deadline, then runs the admission filters. */
    void start() {
        Routing.Result routed = Routing.route(snapshot, facts);
        if (routed.expectsContinue()) {
            reply.expectsContinue();
        }
        if (routed.error() != null) {
            if (routed.closesConnection()) {
                reply.closeAfter();
            }
            fail(routed.error(), null);
            return;
        }
        RouteConfig route = facts.route();
        if (route.answersItself()) {
            move(ExchangeState.RESPONDING);
            reply.writeRouteAnswer();
            finishIfBothEnded();
            client.flush();
            return;
        }
        long timeoutNanos = ExchangeTimers.routeTimeoutNanos(facts.target().plan(), request);
        if (timeoutNanos != RoutePlan.NO_TIMEOUT) {
            deadlineNanos = facts.startNanos() + timeoutNanos;
            timers.set(Timer.ROUTE_DEADLINE, deadlineNanos);
        }
        admission = new Admission(facts.target());
        move(ExchangeState.ADMITTING);
        admit();
    }

    /** Runs the admission filters not passed yet; each passes, rejects or delays the request. */
    private void admit() {
        Admission.Step step;
        try {
            step = admission.run(facts);
        } catch (RuntimeException e) {
            fail(ProxyError.INTERNAL, e);
            return;
        }
        switch (step) {
            case REJECTED -> {
                rejection = admission.verdict();
                fail(rejection.error(), null);
            }
            case DELAYED -> {
                long until = System.nanoTime() + admission.verdict().delayNanos();
                timers.set(Timer.FILTER_DELAY, until);
                timers.armBy(until);
                upstream.pauseUntilConnected();
            }
            case PASSED -> {
                attempts = AttemptLoop.start(facts, upstream.idempotent(), deadlineNanos);
                upstream.attempts(attempts);
                move(ExchangeState.ATTEMPTING);
                upstream.startAttempt();
            }
        }
    }

    /** The first attempt's endpoint is chosen and the head rewritten: the mirror starts, the client may send on. */
    void headPrepared() {
        // the shadow gets the head as rewritten; an upgrade is not mirrored: a shadow's 101 would leave a switched
        // connection with nothing to read it
        mirror = upstream.webSocket() ? null
                : MirrorExchange.sample(facts.target(), request, facts.client(), client.eventLoop(), body.held());
        reply.sendContinue();
    }

    /** A part of the request body from the client; this exchange now owns it. */
    void onRequestContent(HttpContent content) {
        boolean dropping = state == ExchangeState.DONE || response.ended();
        switch (body.take(content, dropping, dropping ? 0 : facts.target().plan().maxBodySize())) {
            case DROPPED_LAST -> {
                if (state != ExchangeState.DONE) {
                    finishIfBothEnded();
                }
            }
            case MALFORMED -> fail(ProxyError.BAD_REQUEST, content.decoderResult().cause());
            case TOO_LARGE -> fail(ProxyError.BODY_TOO_LARGE, null);
            case TAKEN -> {
                if (mirror != null) {
                    mirror.offer(content);
                }
                if (attempts == null || attempts.connection() == null) {
                    body.hold(content);
                } else {
                    upstream.forward(content);
                }
            }
            case DROPPED -> { }
        }
    }

    void flushUpstream() {
        upstream.flush();
    }

    void onClientWritabilityChanged(boolean writable) {
        upstream.readWhile(writable);
    }

    /**
     * The client's body stalled ({@code CLIENT_BODY_TIMEOUT}: idle for the timeout, or {@code CLIENT_BODY_TOO_SLOW}:
     * below the listener's minimum data rate, which also closes the connection): 408.
     */
    void clientTooSlow(ProxyError error) {
        if (!body.isComplete()) {
            if (error == ProxyError.CLIENT_BODY_TOO_SLOW) {
                reply.closeAfter();
            }
            fail(error, null);
        }
    }

    void clientClosed() {
        if (state != ExchangeState.DONE) {
            reply.closeAfter();
            response.cut(ProxyError.CLIENT_CLOSED.status().code());
            fail(ProxyError.CLIENT_CLOSED, null);
        }
    }

    /** One of the exchange's timers expired (after the end, which cannot happen, it would do nothing). */
    private void timerExpired(Timer timer) {
        if (state == ExchangeState.DONE) {
            return;
        }
        switch (timer) {
            case ROUTE_DEADLINE -> fail(ProxyError.ROUTE_TIMEOUT, null);
            case RESPONSE_HEADER -> upstream.attemptFailed(ProxyError.UPSTREAM_RESPONSE_TIMEOUT, null);
            case PER_TRY -> upstream.attemptFailed(ProxyError.UPSTREAM_PER_TRY_TIMEOUT, null);
            // the filter that delayed the request has passed it: the next one runs
            case FILTER_DELAY -> admit();
            case RETRY_BACKOFF -> upstream.startAttempt();
        }
    }

    /** The upstream's response head is going to the client. */
    void responding() {
        move(ExchangeState.RESPONDING);
    }

    /**
     * Ends the exchange with {@code error}: an error response if none has started, otherwise a cut client connection
     * (or stream), so the client cannot mistake a cut response for a whole one.
     */
    void fail(ProxyError error, Throwable cause) {
        if (state == ExchangeState.DONE) {
            return;
        }
        ExchangeLog.failed(facts, error, cause);
        if (attempts != null) {
            attempts.abort(error, System.nanoTime());
        }
        endError = error;
        timers.stop();
        body.releaseHeld();
        if (response.started()) {
            reply.closeAfter();
            response.cut(error.status().code());
            finish();
            return;
        }
        move(ExchangeState.RESPONDING);
        reply.writeError(error, rejection);
        // as for a forwarded response, the filters hear of the end before the client can see it
        finishIfBothEnded();
        client.flush();
    }

    /**
     * Finishes once the response has ended and the request either ended too or cannot be waited for: a client
     * still sending a body the upstream did not wait for is closed, unless it is a small one being dropped.
     */
    void finishIfBothEnded() {
        if (!response.ended()) {
            return;
        }
        if (body.isComplete()) {
            finish();
        } else if (body.received() != RequestBody.Received.DISCARDING || !reply.keepAlive()) {
            reply.closeAfter();
            finish();
        }
    }

    /** The one end: the connection returned or closed, the filters, observers and client side told. */
    void finish() {
        if (state == ExchangeState.DONE) {
            return;
        }
        move(ExchangeState.DONE);
        timers.stop();
        body.release();
        if (mirror != null && !body.isComplete()) {
            mirror.abandon();
        }
        long now = System.nanoTime();
        if (attempts != null) {
            attempts.end(endError, response.upstreamReusable() && body.endSent() && response.ended(), now);
        }
        facts.ended(endError, now);
        ExchangeEnd.tell(facts, admission, snapshot);
        frontend.exchangeDone(this, reply.keepAlive());
    }

    private void move(ExchangeState next) {
        assert state.canMoveTo(next) : state + " -> " + next;
        state = next;
    }
}
