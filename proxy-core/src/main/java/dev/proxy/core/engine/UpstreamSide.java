package dev.proxy.core.engine;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.engine.ClientSide.ReadPause;
import dev.proxy.core.engine.ExchangeTimers.Timer;
import dev.proxy.core.upstream.AcquireCallback;
import dev.proxy.core.upstream.PooledConnection;
import dev.proxy.core.upstream.UpstreamListener;
import io.netty.channel.Channel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * One exchange's traffic with the upstream, attempt by attempt: each attempt started (the {@link AttemptLoop} picks,
 * the pool lends), the request written on its connection (again from the kept parts on a retry), the response head
 * classified (informational, a retried status, a switch to a tunnel, or relayed), the body relayed by
 * {@link ResponseRelay}, a lost connection handed to the stale-connection retry or failed as an attempt, and the
 * attempt's timers. Confined to the client's event loop, the upstream connection's too. Failures that end the
 * exchange, and its end, go to the {@link ProxyExchange}.
 */
final class UpstreamSide implements AcquireCallback, UpstreamListener {
    private static final long KEEP_ALIVE_MARGIN_NANOS = 250_000_000L; // an idle connection leaves before the upstream's

    private final ProxyExchange exchange;
    private final ClientSide frontend;
    private final Channel client;
    private final HttpRequest request;
    private final HttpProtocol clientProtocol;
    private final RequestBody body;
    private final ResponseRelay response;
    private final ExchangeFacts facts;
    private final ExchangeTimers timers;
    private final ClientReply reply;
    private final boolean idempotent;
    private final boolean webSocket; // an upgrade request: its Upgrade headers go upstream, a 101 makes a tunnel
    private AttemptLoop attempts;

    UpstreamSide(ProxyExchange exchange, ExchangeFacts facts, ExchangeTimers timers, ClientReply reply) {
        this.exchange = exchange;
        this.frontend = facts.clientSide();
        this.client = facts.channel();
        this.request = facts.request();
        this.clientProtocol = facts.protocol();
        this.body = facts.body();
        this.response = facts.response();
        this.facts = facts;
        this.timers = timers;
        this.reply = reply;
        this.idempotent = UpstreamHead.isIdempotent(request.method());
        this.webSocket = MessageHeaders.isWebSocketUpgrade(request, clientProtocol);
    }

    /** The attempts start. */
    void attempts(AttemptLoop loop) {
        this.attempts = loop;
    }

    boolean webSocket() {
        return webSocket;
    }

    @Override
    public boolean idempotent() {
        return idempotent;
    }

    /** Rewrites the head for the upstream, once, before the first attempt sends it. */
    private void prepareHead() {
        RequestTarget target = facts.requestTarget();
        MessageHeaders.forRequest(request, clientProtocol, frontend.identity().clientIp(), target.originalHost(),
                UpstreamHead.host(facts.route(), target, attempts.endpointAuthority()),
                target.uri(facts.target().plan().upstreamPath(target.path())), frontend.identity().isTls(), webSocket,
                attempts.cluster().http2(), facts.target().requestHeaders(attempts.cluster()), facts);
    }

    /**
     * Starts an attempt: the breaker and the balancer choose the endpoint ({@link AttemptLoop#pick}), the head is
     * rewritten before the first is sent, and the endpoint's pool is asked for a connection. The per-try timer starts
     * once the connection is there, as the connect and acquire timeouts cover the time before.
     */
    void startAttempt() {
        Optional<ProxyError> refusal = attempts.pick(request, facts.client());
        if (refusal.isPresent()) {
            // neither is worth a retry: an open breaker must stop traffic, and the balancer just said it has nothing
            exchange.fail(refusal.get(), null);
            return;
        }
        if (attempts.count() == 1) {
            prepareHead();
            exchange.headPrepared();
        }
        long now = System.nanoTime();
        if (attempts.hasDeadline()) {
            UpstreamHead.setDeadline(facts.target().plan(), request, attempts.deadlineNanos() - now);
        }
        facts.observer().attemptStarted(attempts.cluster().name(), attempts.endpoint(), request);
        timers.attemptStarting(now, responseHeaderNanos(), perTryNanos());
        attempts.lease(client.eventLoop(), this, now);
        pauseUntilConnected();
    }

    /** The current attempt failed before a response reached the client: retried when allowed, else the end. */
    void attemptFailed(ProxyError error, Throwable cause) {
        if (exchange.isDone()) {
            return;
        }
        timers.clearAttempt();
        OptionalLong wait = attempts.failedRetryIn(error, System.nanoTime());
        if (wait.isEmpty()) {
            exchange.fail(error, cause);
            return;
        }
        ExchangeLog.retrying(facts, error, wait.getAsLong());
        retryAfter(wait.getAsLong(), 0, error);
    }

    /** Another attempt starts after {@code waitNanos}, the failed one having answered {@code code} or {@code error}. */
    private void retryAfter(long waitNanos, int code, ProxyError error) {
        attempts.backoff(code, error);
        timers.set(Timer.RETRY_BACKOFF, System.nanoTime() + Math.max(0, waitNanos));
        pauseUntilConnected();
    }

    /**
     * Stops reading the client while a connection is being leased, or a filter's delay or a retry's backoff runs, so
     * that body parts do not pile up. Most leases complete at once from the idle pool, and then reading never pauses:
     * toggling it costs two epoll_ctl calls per request.
     */
    void pauseUntilConnected() {
        if ((attempts == null || attempts.connection() == null) && !exchange.isDone()) {
            frontend.pauseReading(ReadPause.CONNECTING, true);
        }
    }

    @Override
    public void acquired(PooledConnection c) {
        if (exchange.isDone()) {
            c.release();
            return;
        }
        attempts.connected(c, this);
        Channel upstream = c.channel();
        // a head that cannot be written (a stream the encoder refuses, a connection gone) fails the attempt now, not
        // at its response timeout; when that happened at once, the attempt has moved on without this connection
        upstream.write(request).addListener(f -> {
            if (!f.isSuccess() && !exchange.isDone() && attempts.connection() == c) {
                upstreamGone(f.cause());
            }
        });
        if (attempts.connection() != c) {
            return;
        }
        body.resend(upstream);
        HttpContent part;
        while ((part = body.nextHeld()) != null) {
            forward(part);
        }
        upstream.flush();
        if (body.endSent() && !response.started()) {
            timers.startResponseHeader(responseHeaderNanos());
        }
        if (!response.started()) {
            timers.startPerTry(perTryNanos());
        }
        frontend.pauseReading(ReadPause.CONNECTING, false);
        frontend.pauseReading(ReadPause.UPSTREAM_BUSY, !upstream.isWritable());
    }

    @Override
    public void acquireFailed(ProxyError error, Throwable cause) {
        attemptFailed(error, cause);
    }

    /** Sends a part of the request body on the attempt's connection, pausing the client when it cannot take more. */
    void forward(HttpContent content) {
        Channel upstream = attempts.channel();
        if (body.send(content, upstream) && !response.started()) {
            timers.startResponseHeader(responseHeaderNanos());
        }
        if (!upstream.isWritable()) {
            // pause before flushing: the flush may drain the buffer and fire the event that resumes reading
            frontend.pauseReading(ReadPause.UPSTREAM_BUSY, true);
            upstream.flush();
        }
    }

    @Override
    public void onUpstreamMessage(HttpObject msg) {
        try {
            if (exchange.isDone()) {
                ReferenceCountUtil.release(msg);
            } else if (msg instanceof HttpResponse) {
                onResponseHead((HttpResponse) msg);
            } else if (msg instanceof HttpContent) {
                onResponseContent((HttpContent) msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        } catch (RuntimeException e) {
            exchange.fail(ProxyError.INTERNAL, e);
        }
    }

    private void onResponseHead(HttpResponse head) {
        DecoderResult decoded = head.decoderResult();
        if (decoded.isFailure()) {
            ReferenceCountUtil.release(head);
            if (decoded.cause() instanceof PrematureChannelClosureException) {
                upstreamGone(decoded.cause());
            } else {
                attemptFailed(ProxyError.UPSTREAM_BAD_RESPONSE, decoded.cause());
            }
            return;
        }
        int code = head.status().code();
        if (code < 200 && code != 101) {
            // 100 Continue (the proxy answered the client's Expect itself), 102, 103: not forwarded
            response.skipInformational();
            ReferenceCountUtil.release(head);
            return;
        }
        if (code == 101) {
            if (webSocket && frontend.awaitingUpgrade() && attempts.connection().canDetach()) {
                switchProtocols(head);
            } else {
                // nobody asked to switch: what follows the 101 is not HTTP
                ReferenceCountUtil.release(head);
                attemptFailed(ProxyError.UPSTREAM_BAD_RESPONSE, null);
            }
            return;
        }
        timers.clearAttempt();
        OptionalLong retryAfter = AttemptLoop.retryAfter(code, head);
        long now = System.nanoTime();
        attempts.answered(code, retryAfter, now);
        OptionalLong wait = attempts.answeredRetryIn(code, retryAfter, now);
        if (wait.isPresent()) {
            // this answer is dropped with its connection; reading the rest of its body would only delay the retry
            ReferenceCountUtil.release(head);
            attempts.closeConnection();
            retryAfter(wait.getAsLong(), code, null);
            return;
        }
        relayHead(head, code);
    }

    private void relayHead(HttpResponse head, int code) {
        response.streaming(code, attempts.startNanos(), HttpUtil.isKeepAlive(head));
        exchange.responding();
        long keepAlive = MessageHeaders.keepAliveTimeoutSeconds(head);
        if (keepAlive >= 0) {
            attempts.connection().keepAliveTimeout(Math.max(0,
                    TimeUnit.SECONDS.toNanos(keepAlive) - KEEP_ALIVE_MARGIN_NANOS));
        }
        boolean keepClient = reply.keepAlive() && !frontend.isDraining();
        reply.echoRequestId(head);
        if (!MessageHeaders.forResponse(head, upstreamProtocol(head), clientProtocol,
                HttpMethod.HEAD.equals(request.method()), keepClient,
                facts.target().responseHeaders(attempts.cluster()), facts)) {
            reply.closeAfter();
        }
        client.write(head);
        if (head instanceof HttpContent) {
            onResponseContent((HttpContent) head);
        }
    }

    /** The upstream's protocol: the cluster's (an HTTP/2 response says HTTP/1.1 once converted), else the line's. */
    private HttpProtocol upstreamProtocol(HttpResponse head) {
        return attempts.cluster().http2()
                ? HttpProtocol.HTTP_2 : HttpProtocol.ofHttp1(head.protocolVersion());
    }

    /**
     * The upstream accepted the WebSocket upgrade: the 101 goes to the client and both connections become a
     * {@link Tunnel}. The exchange ends here, with status 101, for the filters (a concurrency permit is not held by a
     * tunnel), the breaker, the metrics and the access log; the upstream connection leaves its pool, so a tunnel
     * never holds a slot of {@code maxConnectionsPerEndpoint}.
     */
    private void switchProtocols(HttpResponse head) {
        timers.clearAttempt();
        attempts.answered(101, OptionalLong.empty(), System.nanoTime());
        response.switched(attempts.startNanos());
        exchange.responding();
        reply.echoRequestId(head);
        MessageHeaders.forUpgradeResponse(head, facts.target().responseHeaders(attempts.cluster()), facts);
        client.write(head);
        PooledConnection c = attempts.takeConnection();
        try {
            frontend.openTunnel(c);
        } catch (RuntimeException e) {
            // neither side may be left half switched
            c.close();
            client.close();
            throw e;
        }
        exchange.finish();
    }

    private void onResponseContent(HttpContent content) {
        switch (response.relay(content, attempts.channel())) {
            case MALFORMED -> exchange.fail(ProxyError.UPSTREAM_BAD_RESPONSE, content.decoderResult().cause());
            case LAST -> {
                // end the exchange (filters, pool) before the client can see the last byte: a client that sends its
                // next request the moment this one ends must find the concurrency permit back, on any connection
                exchange.finishIfBothEnded();
                client.flush();
            }
            case MORE -> { }
        }
    }

    void flush() {
        if (attempts != null && attempts.connection() != null) {
            attempts.channel().flush();
        }
    }

    /** Reads the upstream only while {@code clientWritable}: the client's back-pressure. */
    void readWhile(boolean clientWritable) {
        if (attempts != null && attempts.connection() != null) {
            attempts.channel().config().setAutoRead(clientWritable);
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        if (!exchange.isDone()) {
            client.flush();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (!exchange.isDone()) {
            frontend.pauseReading(ReadPause.UPSTREAM_BUSY, !writable);
        }
    }

    @Override
    public void onUpstreamIdle() {
        if (response.started()) {
            exchange.fail(ProxyError.UPSTREAM_IDLE_TIMEOUT, null);
        } else {
            attemptFailed(ProxyError.UPSTREAM_IDLE_TIMEOUT, null);
        }
    }

    @Override
    public void onUpstreamClosed() {
        upstreamGone(null);
    }

    @Override
    public void onUpstreamError(Throwable cause) {
        upstreamGone(cause);
    }

    /**
     * The upstream connection ended before the response did: a cut response; or, on a reused connection, maybe the
     * race with an upstream that closed it while idle ({@link AttemptLoop#retryStale}); else a failed attempt.
     */
    private void upstreamGone(Throwable cause) {
        if (exchange.isDone()) {
            return;
        }
        attempts.closeConnection();
        if (response.started()) {
            exchange.fail(ProxyError.UPSTREAM_RESET, cause);
            return;
        }
        if (attempts.retryStale(idempotent, body.bytesSent())) {
            timers.clearAttempt();
            ExchangeLog.staleRetry(facts);
            attempts.leaseNew(client.eventLoop(), this);
            pauseUntilConnected();
            return;
        }
        attemptFailed(ProxyError.ofUpstreamLoss(cause), cause);
    }

    private long responseHeaderNanos() {
        return attempts.cluster().responseHeaderNanos();
    }

    private long perTryNanos() {
        return facts.target().plan().perTryNanos();
    }
}
