package dev.proxy.core.engine;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.engine.ClientSide.ReadPause;
import dev.proxy.core.engine.ExchangeTimers.Timer;
import dev.proxy.core.filter.RetryPolicy;
import dev.proxy.core.filter.Verdict;
import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.core.runtime.RouteTarget;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * One request from a client and its response, as the explicit state machine {@link ExchangeState}: the head is
 * checked and routed ({@link RequestHeadCheck}), the route's admission filters run in chain order (concurrency
 * limit, rate limit, fault; each passes, delays or rejects), then the {@link AttemptLoop} asks the breaker and the
 * balancer for an endpoint and the pool for a connection, and {@link UpstreamSide} sends the request and relays the
 * response ({@link ResponseRelay}); a failed attempt is retried when the route's {@link RetryPolicy} and the request
 * allow it. The exchange ends exactly once ({@link #finish}). Its timeouts, delays and backoffs share one scheduled
 * task ({@link ExchangeTimers}); what it reports of itself is {@link ExchangeFacts}.
 *
 * <p>Confined to the client channel's event loop, which is also the upstream connection's, so it needs no locks.
 * Ownership: every {@link HttpContent} handed to it is written to the other side (whose encoder releases it) or
 * released; what it holds or keeps for a retry ({@link RequestBody}) is released by {@link #finish}.
 */
final class ProxyExchange {
    /** A body this small, still unread when the proxy answers early, is read and dropped to keep the connection. */
    private static final long DISCARD_LIMIT = 64 * 1024;

    private final ClientSide frontend;
    private final Channel client;
    private final ConfigSnapshot snapshot;
    private final HttpRequest request;
    /** What the client spoke: the request's own version says HTTP/1.1 for an HTTP/2 stream, after its conversion. */
    private final HttpProtocol clientProtocol;
    private final RequestBody body = new RequestBody();
    private final ResponseRelay response;
    private final ExchangeFacts facts;
    private final ExchangeTimers timers;
    private final UpstreamSide upstream;
    private ExchangeState state = ExchangeState.ROUTING;
    private AttemptLoop attempts;
    private MirrorExchange mirror;
    /** When the route's deadline passes, if it has one. */
    private long deadlineNanos = Long.MAX_VALUE;
    private int filtersPassed;
    /** The filter verdict that rejected the request, whose status and headers the error response takes. */
    private Verdict rejection;
    private ProxyError endError;
    private boolean clientKeepAlive;
    private boolean expectContinue;

    /** Starts nothing yet ({@link #start} does); {@code protocol} is what the client sent {@code request} in. */
    ProxyExchange(ClientSide frontend, Channel client, ConfigSnapshot snapshot, HttpRequest request,
                  HttpProtocol protocol) {
        long now = System.nanoTime();
        this.frontend = frontend;
        this.client = client;
        this.snapshot = snapshot;
        this.request = request;
        this.clientProtocol = protocol;
        // keep-alive is an HTTP/1 connection's; a stream ends by itself and has no Connection header to read
        this.clientKeepAlive = protocol == HttpProtocol.HTTP_2 || HttpUtil.isKeepAlive(request);
        this.response = new ResponseRelay(client);
        this.facts = new ExchangeFacts(request, frontend, (java.net.InetSocketAddress) client.remoteAddress(),
                frontend.observer().exchangeStarted(request, protocol), body, response, now);
        this.timers = new ExchangeTimers(client.eventLoop(), System::nanoTime, this::timerExpired);
        this.upstream = new UpstreamSide(this, frontend, client, request, protocol, body, response, facts, timers);
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
        clientKeepAlive = false;
    }

    boolean isDone() {
        return state == ExchangeState.DONE;
    }

    Duration websocketIdleTimeout() {
        return snapshot.config().server().limits().websocketIdleTimeout();
    }

    /** Whether the client connection may serve another request after this response. */
    boolean keepsClientAlive() {
        return clientKeepAlive;
    }

    /** Checks and routes the request head, starts the route deadline, then runs the admission filters. */
    void start() {
        ProxyError framing = RequestHeadCheck.framing(request, clientProtocol);
        if (framing != null) {
            refuse(framing, true);
            return;
        }
        facts.requestId(RequestIds.assign(request.headers(), snapshot.config().server().requestId()));
        RequestHeadCheck.Result head = RequestHeadCheck.target(request, clientProtocol);
        if (head.error() != null) {
            refuse(head.error(), head.closesConnection());
            return;
        }
        expectContinue = head.expectsContinue();
        frontend.applyClientIdentity(request);
        Optional<RouteTarget> routed = snapshot.match(head.target().host(), head.target().path(),
                request.method().name(), request.headers());
        if (routed.isEmpty()) {
            refuse(ProxyError.NO_ROUTE, false);
            return;
        }
        facts.routed(routed.get(), head.target());
        RouteConfig route = facts.route();
        if (HttpUtil.getContentLength(request, 0L) > route.maxBodySize()) {
            refuse(ProxyError.BODY_TOO_LARGE, false);
            return;
        }
        if (route.answersItself()) {
            answerItself();
            return;
        }
        long timeoutNanos = ExchangeTimers.routeTimeoutNanos(route, request);
        if (timeoutNanos != 0) {
            deadlineNanos = facts.startNanos() + timeoutNanos;
            timers.set(Timer.ROUTE_DEADLINE, deadlineNanos);
        }
        move(ExchangeState.ADMITTING);
        admit(0);
    }

    /** Runs the admission filters from {@code from} on; each passes, rejects or delays the request. */
    private void admit(int from) {
        RouteTarget target = facts.target();
        for (int i = from; i < target.filterCount(); i++) {
            Verdict verdict;
            try {
                verdict = target.filter(i).onRequest(facts);
            } catch (RuntimeException e) {
                fail(ProxyError.INTERNAL, e);
                return;
            }
            if (verdict.rejects()) {
                rejection = verdict;
                fail(verdict.error(), null);
                return;
            }
            // a filter that asks to be asked again has not passed the request yet
            filtersPassed = verdict.asksAgain() ? i : i + 1;
            if (!verdict.passes()) {
                long until = System.nanoTime() + verdict.delayNanos();
                timers.set(Timer.FILTER_DELAY, until);
                timers.armBy(until);
                pauseUntilConnected();
                return;
            }
        }
        RetryPolicy retry = target.retry();
        retry.onRequest();
        if (retry.maxAttempts() > 1) {
            body.keepForRetries(retry.bufferBodyUpTo());
        }
        attempts = new AttemptLoop(target.pickCluster(), retry, facts.observer());
        facts.attempts(attempts);
        upstream.attempts(attempts);
        move(ExchangeState.ATTEMPTING);
        startAttempt();
    }

    /** One try: the breaker and balancer choose the endpoint, then its pool lends a connection to the upstream side. */
    private void startAttempt() {
        ProxyError refusal = attempts.pick(request, facts.client());
        if (refusal != null) {
            // neither is worth a retry: an open breaker must stop traffic, and the balancer just said it has nothing
            fail(refusal, null);
            return;
        }
        if (attempts.count() == 1) {
            upstream.prepareHead();
            // the shadow gets the head as rewritten; an upgrade is not mirrored: a shadow's 101 would leave a switched
            // connection with nothing to read it
            mirror = upstream.webSocket() ? null
                    : MirrorExchange.sample(facts.target(), request, facts.client(), client.eventLoop(), body.held());
            if (expectContinue) {
                client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
            }
        }
        upstream.startAttempt(deadlineNanos);
    }

    /**
     * Stops reading the client while a connection is being leased, or a filter's delay or a retry's backoff runs, so
     * that body parts do not pile up. Most leases complete at once from the idle pool, and then reading never pauses:
     * toggling it costs two epoll_ctl calls per request.
     */
    void pauseUntilConnected() {
        if ((attempts == null || attempts.connection() == null) && state != ExchangeState.DONE) {
            frontend.pauseReading(ReadPause.CONNECTING, true);
        }
    }

    /** A part of the request body from the client; this exchange now owns it. */
    void onRequestContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (state == ExchangeState.DONE || body.received() == RequestBody.Received.DISCARDING || response.ended()) {
            content.release();
            if (last) {
                body.complete();
                if (state != ExchangeState.DONE) {
                    finishIfBothEnded();
                }
            }
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            fail(ProxyError.BAD_REQUEST, content.decoderResult().cause());
            return;
        }
        if (body.count(content) > facts.route().maxBodySize()) {
            content.release();
            fail(ProxyError.BODY_TOO_LARGE, null);
            return;
        }
        if (last) {
            body.complete();
        }
        if (mirror != null) {
            mirror.offer(content);
        }
        if (attempts == null || attempts.connection() == null) {
            body.hold(content);
        } else {
            upstream.forward(content);
        }
    }

    void flushUpstream() {
        if (attempts != null && attempts.connection() != null) {
            attempts.channel().flush();
        }
    }

    void onClientWritabilityChanged(boolean writable) {
        if (attempts != null && attempts.connection() != null) {
            attempts.channel().config().setAutoRead(writable);
        }
    }

    /** The client stopped sending its body for the idle timeout. */
    void onClientIdle() {
        if (!body.isComplete()) {
            fail(ProxyError.CLIENT_BODY_TIMEOUT, null);
        }
    }

    /** The client's body arrives slower than the listener's minimum data rate: 408, and the connection closes. */
    void onClientBodyTooSlow() {
        if (!body.isComplete()) {
            clientKeepAlive = false;
            fail(ProxyError.CLIENT_BODY_TOO_SLOW, null);
        }
    }

    void clientClosed() {
        if (state != ExchangeState.DONE) {
            clientKeepAlive = false;
            response.cut(ProxyError.CLIENT_CLOSED.status().code());
            fail(ProxyError.CLIENT_CLOSED, null);
        }
    }

    /** One of the exchange's timers expired; one that expires after the end, which cannot happen, does nothing. */
    private void timerExpired(Timer timer) {
        if (state == ExchangeState.DONE) {
            return;
        }
        switch (timer) {
            case ROUTE_DEADLINE -> fail(ProxyError.ROUTE_TIMEOUT, null);
            case RESPONSE_HEADER -> attemptFailed(ProxyError.UPSTREAM_RESPONSE_TIMEOUT, null);
            case PER_TRY -> attemptFailed(ProxyError.UPSTREAM_PER_TRY_TIMEOUT, null);
            // the filter that delayed the request has passed it: the next one runs
            case FILTER_DELAY -> admit(filtersPassed);
            case RETRY_BACKOFF -> startAttempt();
            default -> throw new IllegalStateException("unknown timer " + timer);
        }
    }

    /** The current attempt failed before a response reached the client: retried when allowed, else the end. */
    void attemptFailed(ProxyError error, Throwable cause) {
        if (state == ExchangeState.DONE) {
            return;
        }
        boolean reached = attempts.state() == AttemptLoop.State.CONNECTED;
        attempts.failed(error, System.nanoTime());
        upstream.cancelAttemptTimers();
        if (!response.started() && attempts.retry().retriesOn(error)) {
            long wait = attempts.retry().backoffNanos(attempts.count());
            if (mayRetry(reached, wait)) {
                ExchangeLog.retrying(facts, error, wait);
                retryAfter(wait, 0, error);
                return;
            }
        }
        fail(error, cause);
    }

    /**
     * Whether the request may be tried again after waiting {@code waitNanos}: no response has started, its body can
     * be sent again, the deadline leaves the time, and the attempt loop agrees (attempts, idempotency, budget).
     */
    boolean mayRetry(boolean reachedUpstream, long waitNanos) {
        if (response.started() || !body.canResend()) {
            return false;
        }
        if (deadlineNanos != Long.MAX_VALUE && System.nanoTime() + waitNanos >= deadlineNanos) {
            return false;
        }
        return attempts.mayRetry(reachedUpstream, UpstreamHead.isIdempotent(request.method()));
    }

    /** Another attempt starts after {@code waitNanos}, the failed one having answered {@code code} or {@code error}. */
    void retryAfter(long waitNanos, int code, ProxyError error) {
        attempts.backoff(code, error);
        timers.set(Timer.RETRY_BACKOFF, System.nanoTime() + Math.max(0, waitNanos));
        pauseUntilConnected();
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
            if (attempts.holdsPermit()) {
                attempts.failed(error, System.nanoTime());
            } else {
                attempts.cutAfterHead(error);
                attempts.closeConnection();
            }
        }
        endError = error;
        timers.stop();
        body.releaseHeld();
        if (response.started()) {
            clientKeepAlive = false;
            response.cut(error.status().code());
            finish();
            return;
        }
        HttpResponseStatus answer = rejection != null && rejection.status() != null ? rejection.status()
                : error.status();
        respondItself(answer.code(), keepOpen -> {
            FullHttpResponse r = ErrorResponses.of(error, answer, rejection == null ? null : rejection.headers(),
                    keepOpen, Grpc.isGrpc(request), client.alloc());
            upstream.echoRequestId(r);
            return r;
        });
    }

    /** Refuses the head before any upstream is asked; the connection closes after, when its framing is in doubt. */
    private void refuse(ProxyError error, boolean closeConnection) {
        if (closeConnection) {
            clientKeepAlive = false;
        }
        fail(error, null);
    }

    /** The route answers by itself ({@code redirect} or {@code directResponse}), its response header edits applied. */
    private void answerItself() {
        RouteConfig route = facts.route();
        int code = route.redirect().map(r -> r.status())
                .orElseGet(() -> route.directResponse().orElseThrow().status());
        respondItself(code, keepOpen -> {
            FullHttpResponse r = LocalAnswers.of(route, facts.target().directBody(), facts.requestTarget(),
                    frontend.isTls(), HttpMethod.HEAD.equals(request.method()), keepOpen);
            upstream.echoRequestId(r);
            facts.target().responseHeaders().apply(r.headers(), facts);
            return r;
        });
    }

    /**
     * Writes a response the proxy makes itself, given whether the connection stays open, and ends the exchange once
     * the request has ended too (a small unread body is read and dropped; a large one closes the connection).
     *
     * @param code the status the exchange reports (an error's, even where gRPC gets a 200 trailers-only answer)
     */
    private void respondItself(int code, Function<Boolean, FullHttpResponse> make) {
        if (MessageHeaders.hasBody(request) && !body.isComplete()) {
            long length = MessageHeaders.contentLength(request);
            if (expectContinue || length <= 0 || length - body.bytes() > DISCARD_LIMIT) {
                clientKeepAlive = false;
            }
        }
        if (frontend.isDraining()) {
            clientKeepAlive = false;
        }
        response.written(code, -1);
        move(ExchangeState.RESPONDING);
        // a stream needs no Connection: close to end, and HTTP/2 has no such header
        client.write(make.apply(clientKeepAlive || clientProtocol == HttpProtocol.HTTP_2));
        body.discardRest();
        // the rest of a small body is read and dropped, so reading must resume whatever paused it
        frontend.pauseReading(ReadPause.CONNECTING, false);
        frontend.pauseReading(ReadPause.UPSTREAM_BUSY, false);
        // as for a forwarded response: the filters hear of the end before the client does
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
        } else if (body.received() != RequestBody.Received.DISCARDING || !clientKeepAlive) {
            clientKeepAlive = false;
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
        if (mirror != null) {
            if (!body.isComplete()) {
                mirror.abandon();
            }
            mirror = null;
        }
        long now = System.nanoTime();
        if (attempts != null) {
            attempts.end(endError, response.upstreamReusable() && body.endSent() && response.ended(), now);
        }
        facts.ended(endError, now);
        ExchangeEnd.tell(facts, filtersPassed, snapshot);
        frontend.exchangeDone(this, clientKeepAlive);
    }

    private void move(ExchangeState next) {
        assert state.canMoveTo(next) : state + " -> " + next;
        state = next;
    }
}
