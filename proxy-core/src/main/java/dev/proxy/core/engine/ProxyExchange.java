package dev.proxy.core.engine;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.config.HeaderVariable;
import dev.proxy.core.config.MirrorConfig;
import dev.proxy.core.config.PathMatch;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.config.UpstreamProtocol;
import dev.proxy.core.engine.ExchangeTimers.Timer;
import dev.proxy.core.filter.RetryPolicy;
import dev.proxy.core.filter.UpstreamGuard;
import dev.proxy.core.filter.Verdict;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.observe.ExchangeRecord;
import dev.proxy.core.runtime.Cluster;
import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.core.runtime.HeaderRules;
import dev.proxy.core.runtime.RouteTarget;
import dev.proxy.core.upstream.AcquireCallback;
import dev.proxy.core.upstream.ConnectionPool;
import dev.proxy.core.upstream.Endpoint;
import dev.proxy.core.upstream.PooledConnection;
import dev.proxy.core.upstream.UpstreamListener;
import io.netty.channel.Channel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One request from a client and its response: routes it, runs the route's filter chain, leases an upstream
 * connection, streams the body both ways with back-pressure, and ends exactly once ({@link #finish}) by returning
 * the connection to its pool or closing it.
 *
 * <p>The chain in order: the route deadline starts; the admission filters (global and route concurrency limits, rate
 * limit, fault) each pass, delay or reject; then each attempt asks the cluster's circuit breaker, picks an endpoint,
 * and forwards; a failed attempt is retried when the {@link RetryPolicy} and the request allow it. Its timeouts,
 * delays and backoffs share one scheduled task ({@link ExchangeTimers}).
 *
 * <p>Confined to the client channel's event loop, which is also the upstream connection's, so it needs no locks.
 * Ownership: every {@link HttpContent} handed to it is either written to the other side (whose encoder releases
 * it) or released here; the retained duplicates kept to replay a body on a retry are released by {@link #finish};
 * nothing it holds outlives it.
 */
final class ProxyExchange implements AcquireCallback, UpstreamListener, ExchangeRecord, HeaderRules.Variables {
    private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);
    /** A body this small, still unread when the proxy answers early, is read and dropped to keep the connection. */
    private static final long DISCARD_LIMIT = 64 * 1024;
    /** Balancer picks an attempt makes to find an endpoint not tried yet and whose breaker lets it through. */
    private static final int MAX_PICKS = 4;

    private final FrontendHandler frontend;
    private final Channel client;
    private final ConfigSnapshot snapshot;
    private final HttpRequest request;
    /** What the client spoke: the request's own version says HTTP/1.1 for an HTTP/2 stream, after its conversion. */
    private final HttpProtocol clientProtocol;
    private final boolean headRequest;
    private final boolean idempotent;
    /** A WebSocket upgrade request: its Upgrade headers go upstream, and a 101 turns the connections into a tunnel. */
    private final boolean webSocket;
    private final long startNanos = System.nanoTime();
    private final String originalUri;
    private final InetSocketAddress remote;
    private final ExchangeObserver observer;
    private final ExchangeTimers timers;

    private RouteTarget target;
    /** The request's X-Request-Id, or null when ids are off (or the head could not be decoded). */
    private String requestId;
    private RouteConfig route;
    private RequestTarget requestTarget;
    private RetryPolicy retry = RetryPolicy.NONE;
    private int filtersPassed;
    private Cluster cluster;
    private ConnectionPool pool;
    private Endpoint endpoint;
    private List<Endpoint> tried;
    private PooledConnection connection;
    private MirrorExchange mirror;
    private ArrayDeque<HttpContent> pendingBody;
    private ArrayList<HttpContent> replay;
    private long replayBytes;
    private long deadlineNanos;
    private long attemptStartNanos;
    private HttpResponseStatus failStatus;
    private HttpHeaders failHeaders;
    private ProxyError endError;
    private long bodyBytes;
    private long bytesOut;
    private long answerStartNanos = -1;
    private long endNanos;
    private int attempts;
    private int status;
    private boolean guardHeld;
    private boolean attemptReached;
    private boolean staleRetried;
    private boolean replayOverflow;
    private boolean clientKeepAlive;
    private boolean expectContinue;
    private boolean connectionReused;
    private boolean bodyForwarded;
    private boolean requestComplete;
    private boolean requestForwarded;
    private boolean responseStarted;
    private boolean responseComplete;
    private boolean upstreamReusable;
    private boolean skipInformational;
    private boolean discardingBody;
    private boolean done;
    /** The response had started when the exchange failed: the client connection (or stream) must be cut. */
    private boolean responseCut;

    /** Starts nothing yet ({@link #start} does); {@code protocol} is what the client sent {@code request} in. */
    ProxyExchange(FrontendHandler frontend, Channel client, ConfigSnapshot snapshot, HttpRequest request,
                  HttpProtocol protocol) {
        this.frontend = frontend;
        this.client = client;
        this.snapshot = snapshot;
        this.request = request;
        this.clientProtocol = protocol;
        this.headRequest = HttpMethod.HEAD.equals(request.method());
        this.idempotent = isIdempotent(request.method());
        this.webSocket = MessageHeaders.isWebSocketUpgrade(request, protocol);
        // keep-alive is an HTTP/1 connection's; a stream ends by itself and has no Connection header to read
        this.clientKeepAlive = protocol == HttpProtocol.HTTP_2 || HttpUtil.isKeepAlive(request);
        this.originalUri = request.uri();
        this.remote = (InetSocketAddress) client.remoteAddress();
        this.observer = frontend.observer().exchangeStarted(request, protocol);
        this.timers = new ExchangeTimers(client.eventLoop(), System::nanoTime, this::timerExpired);
    }

    boolean requestComplete() {
        return requestComplete;
    }

    /** Whether the exchange ended after its response had started, so the client has an incomplete response. */
    boolean responseCut() {
        return responseCut;
    }

    /** Whether this is a WebSocket upgrade request still in progress, which a 101 may turn into a tunnel. */
    boolean awaitsUpgrade() {
        return webSocket && !done;
    }

    /** The client connection closes after this exchange's response (unless a 101 makes it a tunnel). */
    void closeAfterResponse() {
        clientKeepAlive = false;
    }

    /** Validates and routes the request head, starts the route deadline, then runs the filter chain. */
    void start() {
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            Throwable cause = decoded.cause();
            respondEarly(cause instanceof TooLongHttpHeaderException ? ProxyError.HEADERS_TOO_LARGE
                    : cause instanceof TooLongHttpLineException ? ProxyError.URI_TOO_LONG : ProxyError.BAD_REQUEST,
                    true);
            return;
        }
        if (clientProtocol != HttpProtocol.HTTP_2 && !MessageHeaders.isHttp1(request.protocolVersion())) {
            respondEarly(ProxyError.HTTP_VERSION_NOT_SUPPORTED, true);
            return;
        }
        requestId = RequestIds.assign(request.headers(), snapshot.config().server().requestId());
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (hosts.isEmpty() && clientProtocol != HttpProtocol.HTTP_1_0)) {
            respondEarly(ProxyError.BAD_REQUEST, true);
            return;
        }
        RequestTarget parsed = RequestTarget.parse(request.uri(), hosts.isEmpty() ? null : hosts.get(0));
        if (parsed == null) {
            respondEarly(ProxyError.BAD_REQUEST, true);
            return;
        }
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && clientProtocol != HttpProtocol.HTTP_1_0) {
            if (!HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())) {
                respondEarly(ProxyError.EXPECTATION_FAILED, false);
                return;
            }
            expectContinue = true;
            request.headers().remove(HttpHeaderNames.EXPECT);
        }
        frontend.applyClientIdentity(request);
        Optional<RouteTarget> routeTarget = snapshot.match(parsed.host(), parsed.path(),
                request.method().name(), request.headers());
        if (routeTarget.isEmpty()) {
            respondEarly(ProxyError.NO_ROUTE, false);
            return;
        }
        target = routeTarget.get();
        route = target.route().config();
        if (HttpUtil.getContentLength(request, 0L) > route.maxBodySize()) {
            respondEarly(ProxyError.BODY_TOO_LARGE, false);
            return;
        }
        requestTarget = parsed;
        if (route.answersItself()) {
            answerItself();
            return;
        }
        long timeoutNanos = route.timeout().toNanos();
        if (Grpc.isGrpc(request)) {
            // the caller's own deadline: a call it has given up on is not worth an upstream's time
            long callerNanos = Grpc.timeoutNanos(request.headers().get(Grpc.GRPC_TIMEOUT));
            if (callerNanos > 0 && (timeoutNanos == 0 || callerNanos < timeoutNanos)) {
                timeoutNanos = callerNanos;
            }
        }
        if (timeoutNanos != 0) {
            deadlineNanos = startNanos + timeoutNanos;
            timers.set(Timer.ROUTE_DEADLINE, deadlineNanos);
        }
        admit(0);
    }

    /** Runs the admission filters from {@code from} on; each passes, rejects or delays the request. */
    private void admit(int from) {
        for (int i = from; i < target.filterCount(); i++) {
            Verdict verdict;
            try {
                verdict = target.filter(i).onRequest(this);
            } catch (RuntimeException e) {
                fail(ProxyError.INTERNAL, e);
                return;
            }
            if (verdict.rejects()) {
                failStatus = verdict.status();
                failHeaders = verdict.headers();
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
        retry = target.retry();
        retry.onRequest();
        cluster = target.pickCluster();
        startAttempt();
    }

    /**
     * One try at the upstream: the circuit breaker and the balancer choose the endpoint (one not tried yet, where
     * possible), then the pool lends a connection. The per-try timer starts once the connection is there, as the
     * connect and acquire timeouts cover the time before.
     */
    private void startAttempt() {
        attempts++;
        UpstreamGuard guard = cluster.guard();
        ProxyError refusal = cluster.noEndpointError();
        Endpoint chosen = null;
        int picks = Math.max(1, Math.min(MAX_PICKS, cluster.endpoints().size()));
        for (int i = 0; i < picks && chosen == null; i++) {
            Optional<Endpoint> picked = cluster.balancer().pick(request, remote);
            if (picked.isEmpty()) {
                break;
            }
            Endpoint candidate = picked.get();
            if (tried != null && tried.contains(candidate) && i < picks - 1) {
                continue;
            }
            if (guard.tryAcquire(candidate)) {
                chosen = candidate;
            } else {
                refusal = ProxyError.CIRCUIT_OPEN;
            }
        }
        if (chosen == null) {
            // neither is worth a retry: an open breaker must stop traffic, and the balancer just said it has nothing
            fail(refusal, null);
            return;
        }
        endpoint = chosen;
        guardHeld = true;
        attemptReached = false;
        pool = cluster.pool(chosen);
        if (attempts == 1) {
            prepareHead();
        }
        route.policies().deadlineHeader().ifPresent(name -> request.headers().set(name,
                Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()))));
        observer.attemptStarted(cluster.name(), chosen, request);
        attemptStartNanos = System.nanoTime();
        timers.armBy(attemptStartNanos + firstAttemptTimeoutNanos());
        pool.acquire(client.eventLoop(), this);
        pauseUntilConnected();
    }

    /** Rewrites the head for the upstream, starts the mirror, and answers the client's Expect: 100-continue. */
    private void prepareHead() {
        // the Host sent upstream: the route's rewrite, else what the client asked for (an absolute-form URI's
        // authority wins over its Host header), else, for an HTTP/1.0 client that sent none, the endpoint itself
        String upstreamHost = route.rewrite().host().orElse(requestTarget.originalHost() != null
                ? requestTarget.originalHost() : pool.endpoint().address().toString());
        MessageHeaders.forRequest(request, clientProtocol, frontend.clientIp(),
                requestTarget.originalHost(), upstreamHost, requestTarget.uri(upstreamPath(requestTarget.path())),
                frontend.isTls(), webSocket, cluster.config().protocol() == UpstreamProtocol.H2,
                target.requestHeaders(), this);
        Cluster shadow = target.mirror();
        // an upgrade is not mirrored: a shadow's 101 would leave a switched connection with nothing to read it
        if (shadow != null && !webSocket) {
            MirrorConfig m = route.policies().mirror().get();
            if (ThreadLocalRandom.current().nextDouble() * 100 < m.percent()) {
                mirror = MirrorExchange.start(shadow, request, remote, client.eventLoop(), m.maxBodySize());
                if (mirror != null && pendingBody != null) {
                    for (HttpContent part : pendingBody) {
                        mirror.offer(part);
                    }
                }
            }
        }
        if (expectContinue) {
            client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
    }

    /**
     * Stops reading the client while a connection is being opened or waited for, or a filter's delay or a retry's
     * backoff runs, so that body parts do not pile up.
     * Most acquisitions complete at once from the idle pool, and then reading is never paused: toggling it costs
     * two epoll_ctl calls per request.
     */
    private void pauseUntilConnected() {
        if (connection == null && !done) {
            frontend.pauseReading(FrontendHandler.PAUSE_CONNECTING, true);
        }
    }

    /** A part of the request body from the client; this exchange now owns it. */
    void onRequestContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (done || discardingBody || responseComplete) {
            content.release();
            if (last) {
                requestComplete = true;
                if (!done) {
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
        bodyBytes += content.content().readableBytes();
        if (bodyBytes > route.maxBodySize()) {
            content.release();
            fail(ProxyError.BODY_TOO_LARGE, null);
            return;
        }
        if (last) {
            requestComplete = true;
        }
        if (mirror != null) {
            mirror.offer(content);
        }
        if (connection == null) {
            if (pendingBody == null) {
                pendingBody = new ArrayDeque<>(4);
            }
            pendingBody.add(content);
        } else {
            forward(content);
        }
    }

    void flushUpstream() {
        if (connection != null) {
            connection.channel().flush();
        }
    }

    @Override
    public boolean idempotent() {
        return idempotent;
    }

    @Override
    public void acquired(PooledConnection c) {
        if (done) {
            c.release();
            return;
        }
        connection = c;
        connectionReused = c.isReused();
        attemptReached = true;
        c.attach(this);
        Channel upstream = c.channel();
        upstream.write(request);
        if (replay != null) {
            // a retry: what the earlier attempt sent goes again, from the kept duplicates
            for (HttpContent part : replay) {
                upstream.write(part.retainedDuplicate());
            }
        } else if (requestForwarded) {
            // a retry of a body-less request: its end was already forwarded once
            upstream.write(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        if (pendingBody != null) {
            HttpContent part;
            while ((part = pendingBody.poll()) != null) {
                forward(part);
            }
        }
        upstream.flush();
        if (requestForwarded) {
            startResponseTimer();
        }
        startPerTryTimer();
        frontend.pauseReading(FrontendHandler.PAUSE_CONNECTING, false);
        frontend.pauseReading(FrontendHandler.PAUSE_UPSTREAM_BUSY, !upstream.isWritable());
    }

    @Override
    public void acquireFailed(ProxyError error, Throwable cause) {
        attemptFailed(error, cause);
    }

    private void forward(HttpContent content) {
        if (content.content().isReadable() || (content instanceof LastHttpContent
                && !((LastHttpContent) content).trailingHeaders().isEmpty())) {
            bodyForwarded = true;
        }
        boolean last = content instanceof LastHttpContent;
        keepForReplay(content);
        Channel upstream = connection.channel();
        upstream.write(content);
        if (last) {
            requestForwarded = true;
            startResponseTimer();
        }
        if (!upstream.isWritable()) {
            // pause before flushing: the flush may drain the buffer and fire the event that resumes reading
            frontend.pauseReading(FrontendHandler.PAUSE_UPSTREAM_BUSY, true);
            upstream.flush();
        }
    }

    /**
     * Keeps a duplicate of a body part while a retry may need to send it again, up to the policy's buffer size;
     * past it the kept parts are let go and the request can no longer be retried once its body has gone out.
     */
    private void keepForReplay(HttpContent content) {
        if (replayOverflow || retry.maxAttempts() <= 1) {
            return;
        }
        replayBytes += content.content().readableBytes();
        if (replayBytes > retry.bufferBodyUpTo()) {
            replayOverflow = true;
            releaseReplay();
            return;
        }
        if (replay == null) {
            replay = new ArrayList<>(4);
        }
        replay.add(content.retainedDuplicate());
    }

    private void startResponseTimer() {
        if (!timers.isSet(Timer.RESPONSE_HEADER) && !responseStarted) {
            timers.set(Timer.RESPONSE_HEADER,
                    System.nanoTime() + cluster.config().timeouts().responseHeader().toNanos());
        }
    }

    private void startPerTryTimer() {
        Duration perTry = route.policies().perTryTimeout();
        if (!perTry.isZero() && !timers.isSet(Timer.PER_TRY) && !responseStarted) {
            timers.set(Timer.PER_TRY, System.nanoTime() + perTry.toNanos());
        }
    }

    /**
     * The soonest that an attempt's own timers can expire, counted from its start: both start later than it. The
     * exchange's task is armed no later than that when an attempt starts, so that setting them moves nothing.
     */
    private long firstAttemptTimeoutNanos() {
        long responseHeader = cluster.config().timeouts().responseHeader().toNanos();
        Duration perTry = route.policies().perTryTimeout();
        return perTry.isZero() ? responseHeader : Math.min(responseHeader, perTry.toNanos());
    }

    /** One of the exchange's timers expired; one that expires after the end, which cannot happen, does nothing. */
    private void timerExpired(Timer timer) {
        if (done) {
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

    @Override
    public void onUpstreamMessage(HttpObject msg) {
        try {
            if (done) {
                ReferenceCountUtil.release(msg);
            } else if (msg instanceof HttpResponse) {
                onResponseHead((HttpResponse) msg);
            } else if (msg instanceof HttpContent) {
                onResponseContent((HttpContent) msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        } catch (RuntimeException e) {
            fail(ProxyError.INTERNAL, e);
        }
    }

    private void onResponseHead(HttpResponse response) {
        DecoderResult decoded = response.decoderResult();
        if (decoded.isFailure()) {
            ReferenceCountUtil.release(response);
            if (decoded.cause() instanceof PrematureChannelClosureException) {
                upstreamGone(decoded.cause());
            } else {
                attemptFailed(ProxyError.UPSTREAM_BAD_RESPONSE, decoded.cause());
            }
            return;
        }
        int code = response.status().code();
        if (code < 200 && code != 101) {
            // 100 Continue (the proxy answered the client's Expect itself), 102, 103: not forwarded
            skipInformational = true;
            ReferenceCountUtil.release(response);
            return;
        }
        if (code == 101) {
            if (webSocket && frontend.awaitingUpgrade() && connection.canDetach()) {
                switchProtocols(response);
            } else {
                // nobody asked to switch: what follows the 101 is not HTTP
                ReferenceCountUtil.release(response);
                attemptFailed(ProxyError.UPSTREAM_BAD_RESPONSE, null);
            }
            return;
        }
        cancelAttemptTimers();
        long retryAfter = code == 429 || code == 503 ? MessageHeaders.retryAfterNanos(response) : -1;
        endAttempt(code, null, retryAfter);
        if (retry.retriesOnStatus(code) && retryAfter <= retry.retryAfterMaxNanos()) {
            long wait = retryAfter >= 0 ? retryAfter : retry.backoffNanos(attempts);
            if (mayRetry(true, wait)) {
                observeRetry(code, null);
                // this answer is dropped with its connection; reading the rest of its body would only delay the retry
                ReferenceCountUtil.release(response);
                closeConnection();
                scheduleRetry(wait);
                return;
            }
        }
        responseStarted = true;
        status = code;
        answerStartNanos = attemptStartNanos;
        upstreamReusable = HttpUtil.isKeepAlive(response);
        long keepAlive = MessageHeaders.keepAliveTimeoutSeconds(response);
        if (keepAlive >= 0) {
            connection.keepAliveTimeout(Math.max(0, TimeUnit.SECONDS.toNanos(keepAlive) - 250_000_000L));
        }
        boolean keepClient = clientKeepAlive && !frontend.isDraining();
        echoRequestId(response);
        clientKeepAlive = MessageHeaders.forResponse(response, upstreamProtocol(response), clientProtocol, headRequest,
                keepClient, target.responseHeaders(), this);
        client.write(response);
        if (response instanceof HttpContent) {
            onResponseContent((HttpContent) response);
        }
    }

    /**
     * The protocol the upstream answered in: the cluster's, as an HTTP/2 stream's response says HTTP/1.1 too after
     * its conversion; over HTTP/1.x, the version of the status line.
     */
    private HttpProtocol upstreamProtocol(HttpResponse response) {
        return cluster.config().protocol() == UpstreamProtocol.H2
                ? HttpProtocol.HTTP_2 : HttpProtocol.ofHttp1(response.protocolVersion());
    }

    /**
     * The upstream accepted the WebSocket upgrade: the 101 goes to the client and both connections become a
     * {@link Tunnel}. The exchange ends here, with status 101, for the filters (a concurrency permit is not held by a
     * tunnel), the breaker, the metrics and the access log; the upstream connection leaves its pool, so a tunnel
     * never holds a slot of {@code maxConnectionsPerEndpoint}.
     */
    private void switchProtocols(HttpResponse response) {
        cancelAttemptTimers();
        endAttempt(101, null, -1);
        responseStarted = true;
        responseComplete = true;
        status = 101;
        answerStartNanos = attemptStartNanos;
        echoRequestId(response);
        MessageHeaders.forUpgradeResponse(response, target.responseHeaders(), this);
        client.write(response);
        PooledConnection c = connection;
        connection = null;
        try {
            frontend.openTunnel(c, snapshot.config().server().limits().websocketIdleTimeout());
        } catch (RuntimeException e) {
            // neither side may be left half switched
            c.close();
            client.close();
            throw e;
        }
        finish();
    }

    private void onResponseContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (skipInformational) {
            content.release();
            if (last) {
                skipInformational = false;
            }
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            fail(ProxyError.UPSTREAM_BAD_RESPONSE, content.decoderResult().cause());
            return;
        }
        bytesOut += content.content().readableBytes();
        client.write(content);
        if (last) {
            responseComplete = true;
            // end the exchange (filters, pool) before the client can see the last byte: a client that sends its next
            // request the moment this one ends must find the concurrency permit back, on any connection
            finishIfBothEnded();
            client.flush();
        } else if (!client.isWritable()) {
            // stop reading before flushing: the flush may drain the buffer and fire the event that resumes reading
            connection.channel().config().setAutoRead(false);
            client.flush();
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        if (!done) {
            client.flush();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (!done) {
            frontend.pauseReading(FrontendHandler.PAUSE_UPSTREAM_BUSY, !writable);
        }
    }

    void onClientWritabilityChanged(boolean writable) {
        if (connection != null) {
            connection.channel().config().setAutoRead(writable);
        }
    }

    @Override
    public void onUpstreamIdle() {
        if (responseStarted) {
            fail(ProxyError.UPSTREAM_IDLE_TIMEOUT, null);
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

    /** The client stopped sending its body for the idle timeout. */
    void onClientIdle() {
        if (!requestComplete) {
            fail(ProxyError.CLIENT_BODY_TIMEOUT, null);
        }
    }

    /** The client's body arrives slower than the listener's minimum data rate: 408, and the connection closes. */
    void onClientBodyTooSlow() {
        if (!requestComplete) {
            clientKeepAlive = false;
            fail(ProxyError.CLIENT_BODY_TOO_SLOW, null);
        }
    }

    void clientClosed() {
        if (!done) {
            clientKeepAlive = false;
            responseStarted = true;
            if (status == 0) {
                status = ProxyError.CLIENT_CLOSED.status().code();
            }
            fail(ProxyError.CLIENT_CLOSED, null);
        }
    }

    /**
     * The upstream connection ended before the response did. A reused keep-alive connection that the upstream
     * closed while idle is the classic race; a request that is safe to repeat is sent once more on a new connection
     * to the same endpoint, whatever the retry policy says, as the endpoint itself did nothing wrong.
     */
    private void upstreamGone(Throwable cause) {
        if (done) {
            return;
        }
        closeConnection();
        if (responseStarted) {
            fail(ProxyError.UPSTREAM_RESET, cause);
            return;
        }
        if (connectionReused && !staleRetried && !bodyForwarded && idempotent) {
            staleRetried = true;
            pool.reusedConnectionLost(true);
            cancelAttemptTimers();
            observeRetry(0, ProxyError.UPSTREAM_RESET);
            log.debug("reused connection to {} closed before a response; retrying once on a new one", endpoint);
            pool.acquireNew(client.eventLoop(), this);
            pauseUntilConnected();
            return;
        }
        if (connectionReused) {
            pool.reusedConnectionLost(false);
        }
        attemptFailed(ProxyError.ofUpstreamLoss(cause), cause);
    }

    /**
     * The current attempt failed before a response reached the client: retried when the policy and the request
     * allow it, else the exchange fails.
     */
    private void attemptFailed(ProxyError error, Throwable cause) {
        if (done) {
            return;
        }
        boolean reached = attemptReached;
        closeConnection();
        cancelAttemptTimers();
        endAttempt(0, error, -1);
        if (!responseStarted && retry.retriesOn(error)) {
            long wait = retry.backoffNanos(attempts);
            if (mayRetry(reached, wait)) {
                observeRetry(0, error);
                if (log.isDebugEnabled()) {
                    withTraceContext(() -> log.debug("{} {} attempt {} to {} failed: {}; retrying in {} µs",
                            request.method(), originalUri, attempts, endpoint, error.reason(),
                            TimeUnit.NANOSECONDS.toMicros(wait)));
                }
                scheduleRetry(wait);
                return;
            }
        }
        fail(error, cause);
    }

    /**
     * Whether the request may be tried again after waiting {@code waitNanos}: attempts and time are left, its body
     * can be sent again, it is idempotent or never reached the upstream, and the retry budget has room.
     */
    private boolean mayRetry(boolean reachedUpstream, long waitNanos) {
        if (responseStarted || attempts >= retry.maxAttempts()) {
            return false;
        }
        if (bodyForwarded && replay == null) {
            return false;
        }
        if (reachedUpstream && !idempotent) {
            return false;
        }
        if (deadlineNanos != 0 && System.nanoTime() + waitNanos >= deadlineNanos) {
            return false;
        }
        return retry.tryAcquireRetry();
    }

    private void scheduleRetry(long waitNanos) {
        if (tried == null) {
            tried = new ArrayList<>(2);
        }
        tried.add(endpoint);
        timers.set(Timer.RETRY_BACKOFF, System.nanoTime() + Math.max(0, waitNanos));
        pauseUntilConnected();
    }

    /**
     * Tells the cluster's breaker and outlier detection how the current attempt went, once.
     *
     * @param code the upstream's status, or 0 when the attempt failed with {@code error} instead
     */
    private void endAttempt(int code, ProxyError error, long retryAfterNanos) {
        if (!guardHeld) {
            return;
        }
        guardHeld = false;
        long took = System.nanoTime() - attemptStartNanos;
        observeAttemptEnded(code, error, took);
        UpstreamGuard guard = cluster.guard();
        if (error == null) {
            cluster.report(endpoint, code == 502 || code == 503 || code == 504);
            guard.onResponse(endpoint, code, took, retryAfterNanos);
        } else if (error.isEndpointFailure()) {
            cluster.report(endpoint, true);
            guard.onFailure(endpoint, error, took);
        } else {
            guard.release(endpoint);
        }
    }

    /** Answers the request without contacting an upstream; the body, if any, is dropped or the connection closed. */
    private void respondEarly(ProxyError error, boolean closeConnection) {
        if (closeConnection) {
            clientKeepAlive = false;
        }
        fail(error, null);
    }

    /**
     * Ends the exchange with {@code error}: an error response if none has started, otherwise a closed client
     * connection, so the client cannot mistake a cut response for a whole one.
     */
    void fail(ProxyError error, Throwable cause) {
        if (done) {
            return;
        }
        logFailure(error, cause);
        if (guardHeld) {
            endAttempt(0, error, -1);
        } else if (responseStarted && endpoint != null && error.isEndpointFailure()) {
            // the response was cut after its head: the breaker already heard of the attempt, outlier detection not
            cluster.report(endpoint, true);
        }
        endError = error;
        closeConnection();
        cancelTimers();
        releasePendingBody();
        if (responseStarted) {
            clientKeepAlive = false;
            responseCut = true;
            responseComplete = true;
            finish();
            return;
        }
        responseStarted = true;
        responseComplete = true;
        HttpResponseStatus answer = failStatus != null ? failStatus : error.status();
        writeOwnResponse(answer.code(), keepOpen -> {
            FullHttpResponse r = ErrorResponses.of(error, answer, failHeaders, keepOpen, Grpc.isGrpc(request),
                    client.alloc());
            echoRequestId(r);
            return r;
        });
    }

    /**
     * The route answers by itself ({@code redirect} or {@code directResponse}): no filters, no upstream. The route's
     * response header edits apply, as to an upstream's response.
     */
    private void answerItself() {
        responseStarted = true;
        responseComplete = true;
        int code = route.redirect().map(r -> r.status())
                .orElseGet(() -> route.directResponse().orElseThrow().status());
        writeOwnResponse(code, keepOpen -> {
            FullHttpResponse r = LocalAnswers.of(route, target.directBody(), requestTarget, frontend.isTls(),
                    headRequest, keepOpen);
            echoRequestId(r);
            target.responseHeaders().apply(r.headers(), this);
            return r;
        });
    }

    /**
     * Writes a response the proxy makes itself, made by {@code response} given whether the connection stays open,
     * and ends the exchange once the request has ended too (a small unread body is read and dropped).
     *
     * @param code the status the exchange reports (an error's, even where gRPC gets a 200 trailers-only answer)
     */
    private void writeOwnResponse(int code, Function<Boolean, FullHttpResponse> response) {
        boolean bodyExpected = MessageHeaders.hasBody(request) && !requestComplete;
        if (bodyExpected) {
            long length = MessageHeaders.contentLength(request);
            if (expectContinue || length <= 0 || length - bodyBytes > DISCARD_LIMIT) {
                clientKeepAlive = false;
            }
        }
        if (frontend.isDraining()) {
            clientKeepAlive = false;
        }
        status = code;
        // a stream needs no Connection: close to end, and HTTP/2 has no such header
        boolean keepOpen = clientKeepAlive || clientProtocol == HttpProtocol.HTTP_2;
        client.write(response.apply(keepOpen));
        discardingBody = true;
        // the rest of a small body is read and dropped, so reading must resume whatever paused it
        frontend.pauseReading(FrontendHandler.PAUSE_CONNECTING | FrontendHandler.PAUSE_UPSTREAM_BUSY, false);
        // as for a forwarded response: the filters hear of the end before the client does
        finishIfBothEnded();
        client.flush();
    }

    /**
     * Finishes once the response has ended and the request either ended too or cannot be waited for: a client
     * still sending a body the upstream did not wait for is closed, unless it is a small one being dropped.
     */
    private void finishIfBothEnded() {
        if (!responseComplete) {
            return;
        }
        if (requestComplete) {
            finish();
        } else if (!discardingBody || !clientKeepAlive) {
            clientKeepAlive = false;
            finish();
        }
    }

    private void finish() {
        if (done) {
            return;
        }
        done = true;
        cancelTimers();
        releasePendingBody();
        releaseReplay();
        if (guardHeld) {
            guardHeld = false;
            observeAttemptEnded(0, endError, System.nanoTime() - attemptStartNanos);
            cluster.guard().release(endpoint);
        }
        if (mirror != null) {
            if (!requestComplete) {
                mirror.abandon();
            }
            mirror = null;
        }
        PooledConnection c = connection;
        connection = null;
        if (c != null) {
            c.channel().config().setAutoRead(true);
            if (upstreamReusable && requestForwarded && responseComplete) {
                c.release();
            } else {
                c.close();
            }
        }
        endNanos = System.nanoTime();
        endFilters();
        try {
            observer.ended(this);
        } catch (RuntimeException e) {
            log.warn("an observer failed at the end of a request", e);
        }
        try {
            (target != null ? target.observer() : snapshot.unrouted()).ended(this);
        } catch (RuntimeException e) {
            log.warn("a route observer failed at the end of a request", e);
        }
        frontend.exchangeDone(this, clientKeepAlive);
    }

    /** Tells the request's observer and the cluster's how the current attempt ended. */
    private void observeAttemptEnded(int code, ProxyError error, long took) {
        observer.attemptEnded(cluster.name(), code, error, took);
        cluster.observer().attemptEnded(code, error, took);
    }

    /** Tells the request's observer and the cluster's that the failed attempt will be tried again. */
    private void observeRetry(int code, ProxyError error) {
        observer.retrying(cluster.name(), code, error);
        cluster.observer().retrying(code, error);
    }

    /** Tells every filter that passed the request how it ended; one that throws must not stop the others. */
    private void endFilters() {
        long took = endNanos - startNanos;
        for (int i = 0; i < filtersPassed; i++) {
            try {
                target.filter(i).onEnd(this, status, endError, took);
            } catch (RuntimeException e) {
                log.warn("filter {} of route {} failed at the end of a request", i, route.name(), e);
            }
        }
    }

    private void closeConnection() {
        PooledConnection c = connection;
        connection = null;
        if (c != null) {
            c.close();
        }
    }

    private void cancelAttemptTimers() {
        timers.clear(Timer.RESPONSE_HEADER);
        timers.clear(Timer.PER_TRY);
    }

    private void cancelTimers() {
        timers.stop();
    }

    private void releaseReplay() {
        BodyParts.releaseAll(replay);
        replay = null;
    }

    private void releasePendingBody() {
        BodyParts.releaseAll(pendingBody);
    }

    @Override
    public HttpRequest request() {
        return request;
    }

    @Override
    public InetSocketAddress client() {
        return remote;
    }

    @Override
    public String routeName() {
        return route == null ? null : route.name();
    }

    @Override
    public String uri() {
        return originalUri;
    }

    @Override
    public String host() {
        return requestTarget != null ? requestTarget.originalHost() : request.headers().get(HttpHeaderNames.HOST);
    }

    @Override
    public String clusterName() {
        return cluster == null ? null : cluster.name();
    }

    @Override
    public Endpoint endpoint() {
        return endpoint;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public ProxyError error() {
        return endError;
    }

    @Override
    public int attempts() {
        return attempts;
    }

    @Override
    public long bytesIn() {
        return bodyBytes;
    }

    @Override
    public long bytesOut() {
        return bytesOut;
    }

    @Override
    public long startNanos() {
        return startNanos;
    }

    @Override
    public long durationNanos() {
        return (done ? endNanos : System.nanoTime()) - startNanos;
    }

    @Override
    public String traceId() {
        return observer.traceId();
    }

    @Override
    public String spanId() {
        return observer.spanId();
    }

    @Override
    public long upstreamNanos() {
        return answerStartNanos < 0 ? -1 : (done ? endNanos : System.nanoTime()) - answerStartNanos;
    }

    /** Tells the client the request's id; before the route's response edits, which may remove it. */
    private void echoRequestId(HttpResponse response) {
        if (requestId != null) {
            response.headers().set(MessageHeaders.X_REQUEST_ID, requestId);
        }
    }

    @Override
    public String requestId() {
        return requestId;
    }

    /**
     * A header edit's variable for this request (see {@link HeaderVariable}); null when it has none. The exchange is
     * its own {@link HeaderRules.Variables}, so the edits cost no lambda per message.
     */
    @Override
    public String value(HeaderVariable variable) {
        return switch (variable) {
            case CLIENT_IP -> frontend.clientIp();
            // the id the proxy gave, which a request edit may have removed from the head; else the client's header
            case REQUEST_ID -> requestId != null ? requestId : request.headers().get(MessageHeaders.X_REQUEST_ID);
            case ROUTE -> route.name();
            case HOST -> requestTarget.originalHost();
            case TLS_IDENTITY -> frontend.tlsIdentity();
        };
    }

    private String upstreamPath(String path) {
        Optional<String> rewrite = route.rewrite().pathPrefix();
        if (rewrite.isEmpty() || route.match().path().kind() != PathMatch.Kind.PREFIX) {
            return path;
        }
        String rest = path.substring(route.match().path().value().length());
        String prefix = rewrite.get();
        if (prefix.endsWith("/") && rest.startsWith("/")) {
            return prefix + rest.substring(1);
        }
        String result = prefix + rest;
        return result.isEmpty() ? "/" : result;
    }

    private void logFailure(ProxyError error, Throwable cause) {
        if (error == ProxyError.INTERNAL) {
            withTraceContext(() -> log.warn("{} {} failed: {}", request.method(), originalUri, error.reason(),
                    cause));
        } else if (log.isDebugEnabled()) {
            withTraceContext(() -> log.debug("{} {} route={} failed: {} after {} µs", request.method(), originalUri,
                    route == null ? "-" : route.name(), error.reason(),
                    TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - startNanos), cause));
        }
    }

    /** Runs a logging call with this request's trace in the MDC, so the line can be found from the trace. */
    private void withTraceContext(Runnable logCall) {
        String traceId = observer.traceId();
        if (traceId == null) {
            logCall.run();
            return;
        }
        MDC.put("trace_id", traceId);
        MDC.put("span_id", observer.spanId());
        try {
            logCall.run();
        } finally {
            MDC.remove("trace_id");
            MDC.remove("span_id");
        }
    }

    private static boolean isIdempotent(HttpMethod m) {
        return m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD) || m.equals(HttpMethod.OPTIONS)
                || m.equals(HttpMethod.PUT) || m.equals(HttpMethod.DELETE) || m.equals(HttpMethod.TRACE);
    }
}
