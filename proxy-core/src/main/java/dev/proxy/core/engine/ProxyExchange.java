package dev.proxy.core.engine;

import dev.proxy.core.ProxyError;
import dev.proxy.core.config.PathMatch;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.runtime.Cluster;
import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.core.runtime.RouteTarget;
import dev.proxy.core.upstream.AcquireCallback;
import dev.proxy.core.upstream.ConnectionPool;
import dev.proxy.core.upstream.Endpoint;
import dev.proxy.core.upstream.PooledConnection;
import dev.proxy.core.upstream.UpstreamListener;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
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
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request from a client and its response: routes it, leases an upstream connection, streams the body both ways
 * with back-pressure, and ends exactly once ({@link #finish}) by returning the connection to its pool or closing it.
 *
 * <p>Confined to the client channel's event loop, which is also the upstream connection's, so it needs no locks.
 * Ownership: every {@link HttpContent} handed to it is either written to the other side (whose encoder releases
 * it) or released here; nothing it holds outlives {@link #finish}.
 */
final class ProxyExchange implements AcquireCallback, UpstreamListener {
    private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);
    /** A body this small, still unread when the proxy answers early, is read and dropped to keep the connection. */
    private static final long DISCARD_LIMIT = 64 * 1024;

    private final FrontendHandler frontend;
    private final Channel client;
    private final ConfigSnapshot snapshot;
    private final HttpRequest request;
    private final HttpVersion clientVersion;
    private final boolean headRequest;
    private final boolean idempotent;
    private final long startNanos = System.nanoTime();

    private RouteConfig route;
    private Cluster cluster;
    private ConnectionPool pool;
    private PooledConnection connection;
    private ArrayDeque<HttpContent> pendingBody;
    private ScheduledFuture<?> deadline;
    private ScheduledFuture<?> responseTimer;
    private long bodyBytes;
    private int attempts;
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

    ProxyExchange(FrontendHandler frontend, Channel client, ConfigSnapshot snapshot, HttpRequest request) {
        this.frontend = frontend;
        this.client = client;
        this.snapshot = snapshot;
        this.request = request;
        this.clientVersion = request.protocolVersion();
        this.headRequest = HttpMethod.HEAD.equals(request.method());
        this.idempotent = isIdempotent(request.method());
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
    }

    boolean requestComplete() {
        return requestComplete;
    }

    /** Validates and routes the request head, then asks the pool for a connection. */
    void start() {
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            Throwable cause = decoded.cause();
            respondEarly(cause instanceof TooLongHttpHeaderException ? ProxyError.HEADERS_TOO_LARGE
                    : cause instanceof TooLongHttpLineException ? ProxyError.URI_TOO_LONG : ProxyError.BAD_REQUEST,
                    true);
            return;
        }
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (hosts.isEmpty() && clientVersion.minorVersion() >= 1)) {
            respondEarly(ProxyError.BAD_REQUEST, true);
            return;
        }
        RequestTarget target = RequestTarget.parse(request.uri(), hosts.isEmpty() ? null : hosts.get(0));
        if (target == null) {
            respondEarly(ProxyError.BAD_REQUEST, true);
            return;
        }
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && clientVersion.minorVersion() >= 1) {
            if (!HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())) {
                respondEarly(ProxyError.EXPECTATION_FAILED, false);
                return;
            }
            expectContinue = true;
            request.headers().remove(HttpHeaderNames.EXPECT);
        }
        Optional<RouteTarget> routeTarget = snapshot.match(target.host(), target.path(),
                request.method().name(), request.headers());
        if (routeTarget.isEmpty()) {
            respondEarly(ProxyError.NO_ROUTE, false);
            return;
        }
        route = routeTarget.get().route().config();
        if (HttpUtil.getContentLength(request, 0L) > route.maxBodySize()) {
            respondEarly(ProxyError.BODY_TOO_LARGE, false);
            return;
        }
        cluster = routeTarget.get().pickCluster();
        InetSocketAddress remote = (InetSocketAddress) client.remoteAddress();
        Optional<Endpoint> endpoint = cluster.balancer().pick(request, remote);
        if (endpoint.isEmpty()) {
            respondEarly(ProxyError.NO_ENDPOINT, false);
            return;
        }
        pool = cluster.pool(endpoint.get());
        // the Host sent upstream: the route's rewrite, else what the client asked for (an absolute-form URI's
        // authority wins over its Host header), else, for an HTTP/1.0 client that sent none, the endpoint itself
        String upstreamHost = route.rewrite().host()
                .orElse(target.originalHost() != null ? target.originalHost() : pool.endpoint().address().toString());
        MessageHeaders.forRequest(request, remote.getAddress().getHostAddress(), target.originalHost(),
                upstreamHost, target.uri(upstreamPath(target.path())));
        if (!route.timeout().isZero()) {
            deadline = client.eventLoop().schedule(() -> fail(ProxyError.ROUTE_TIMEOUT, null),
                    route.timeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        if (expectContinue) {
            client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        attempts = 1;
        pool.acquire(client.eventLoop(), this);
        pauseWhileAcquiring();
    }

    /**
     * Stops reading the client while a connection is being opened or waited for, so that body parts do not pile up.
     * Most acquisitions complete at once from the idle pool, and then reading is never paused: toggling it costs
     * two epoll_ctl calls per request.
     */
    private void pauseWhileAcquiring() {
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
    public void acquired(PooledConnection c) {
        if (done) {
            c.release();
            return;
        }
        connection = c;
        connectionReused = c.isReused();
        c.attach(this);
        Channel upstream = c.channel();
        upstream.write(request);
        if (requestForwarded) {
            // a retry of a body-less request: its end was already forwarded once
            upstream.write(LastHttpContent.EMPTY_LAST_CONTENT);
        } else if (pendingBody != null) {
            HttpContent part;
            while ((part = pendingBody.poll()) != null) {
                forward(part);
            }
        }
        upstream.flush();
        if (requestForwarded) {
            startResponseTimer();
        }
        frontend.pauseReading(FrontendHandler.PAUSE_CONNECTING, false);
        frontend.pauseReading(FrontendHandler.PAUSE_UPSTREAM_BUSY, !upstream.isWritable());
    }

    @Override
    public void acquireFailed(ProxyError error, Throwable cause) {
        fail(error, cause);
    }

    private void forward(HttpContent content) {
        if (content.content().isReadable() || (content instanceof LastHttpContent
                && !((LastHttpContent) content).trailingHeaders().isEmpty())) {
            bodyForwarded = true;
        }
        boolean last = content instanceof LastHttpContent;
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

    private void startResponseTimer() {
        if (responseTimer == null && !responseStarted) {
            responseTimer = client.eventLoop().schedule(() -> fail(ProxyError.UPSTREAM_RESPONSE_TIMEOUT, null),
                    cluster.config().timeouts().responseHeader().toNanos(), TimeUnit.NANOSECONDS);
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
                fail(ProxyError.UPSTREAM_BAD_RESPONSE, decoded.cause());
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
            ReferenceCountUtil.release(response);
            fail(ProxyError.UPSTREAM_BAD_RESPONSE, null);
            return;
        }
        cancelResponseTimer();
        cluster.report(pool.endpoint(), code == 502 || code == 503 || code == 504);
        responseStarted = true;
        upstreamReusable = HttpUtil.isKeepAlive(response);
        long keepAlive = MessageHeaders.keepAliveTimeoutSeconds(response);
        if (keepAlive >= 0) {
            connection.keepAliveTimeout(Math.max(0, TimeUnit.SECONDS.toNanos(keepAlive) - 250_000_000L));
        }
        boolean keepClient = clientKeepAlive && !frontend.isDraining();
        clientKeepAlive = MessageHeaders.forResponse(response, headRequest, keepClient, clientVersion);
        client.write(response);
        if (response instanceof HttpContent) {
            onResponseContent((HttpContent) response);
        }
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
        client.write(content);
        if (last) {
            responseComplete = true;
            client.flush();
            finishIfBothEnded();
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
        fail(ProxyError.UPSTREAM_IDLE_TIMEOUT, null);
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

    void clientClosed() {
        if (!done) {
            clientKeepAlive = false;
            responseStarted = true;
            fail(ProxyError.CLIENT_CLOSED, null);
        }
    }

    /**
     * The upstream connection ended before the response did. A reused keep-alive connection that the upstream
     * closed while idle is the classic race; a request that is safe to repeat is sent once more on a new connection.
     */
    private void upstreamGone(Throwable cause) {
        if (done) {
            return;
        }
        PooledConnection c = connection;
        connection = null;
        if (c != null) {
            c.close();
        }
        if (!responseStarted && connectionReused && attempts == 1 && !bodyForwarded && idempotent) {
            attempts++;
            cancelResponseTimer();
            log.debug("reused connection to {} closed before a response; retrying once on a new one", pool.endpoint());
            pool.acquireNew(client.eventLoop(), this);
            pauseWhileAcquiring();
            return;
        }
        fail(ProxyError.UPSTREAM_RESET, cause);
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
        if (pool != null && error.isEndpointFailure()) {
            cluster.report(pool.endpoint(), true);
        }
        if (connection != null) {
            connection.close();
            connection = null;
        }
        cancelTimers();
        releasePendingBody();
        if (responseStarted) {
            clientKeepAlive = false;
            responseComplete = true;
            finish();
            return;
        }
        responseStarted = true;
        responseComplete = true;
        boolean bodyExpected = MessageHeaders.hasBody(request) && !requestComplete;
        if (bodyExpected) {
            long length = HttpUtil.getContentLength(request, -1L);
            if (expectContinue || length < 0 || length - bodyBytes > DISCARD_LIMIT) {
                clientKeepAlive = false;
            }
        }
        if (frontend.isDraining()) {
            clientKeepAlive = false;
        }
        client.writeAndFlush(ErrorResponses.of(error, clientKeepAlive, client.alloc()));
        discardingBody = true;
        // the rest of a small body is read and dropped, so reading must resume whatever paused it
        frontend.pauseReading(FrontendHandler.PAUSE_CONNECTING | FrontendHandler.PAUSE_UPSTREAM_BUSY, false);
        finishIfBothEnded();
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
        frontend.exchangeDone(this, clientKeepAlive);
    }

    private void cancelResponseTimer() {
        if (responseTimer != null) {
            responseTimer.cancel(false);
            responseTimer = null;
        }
    }

    private void cancelTimers() {
        cancelResponseTimer();
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void releasePendingBody() {
        if (pendingBody != null) {
            HttpContent part;
            while ((part = pendingBody.poll()) != null) {
                part.release();
            }
        }
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
            log.warn("{} {} failed: {}", request.method(), request.uri(), error.reason(), cause);
        } else if (log.isDebugEnabled()) {
            log.debug("{} {} route={} failed: {} after {} µs", request.method(), request.uri(),
                    route == null ? "-" : route.name(), error.reason(),
                    TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - startNanos), cause);
        }
    }

    private static boolean isIdempotent(HttpMethod m) {
        return m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD) || m.equals(HttpMethod.OPTIONS)
                || m.equals(HttpMethod.PUT) || m.equals(HttpMethod.DELETE) || m.equals(HttpMethod.TRACE);
    }
}
