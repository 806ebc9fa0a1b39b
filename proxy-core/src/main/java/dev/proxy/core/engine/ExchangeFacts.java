package dev.proxy.core.engine;

import dev.proxy.core.ProxyError;
import dev.proxy.core.config.HeaderVariable;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.filter.RequestInfo;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.observe.ExchangeRecord;
import dev.proxy.core.runtime.HeaderRules;
import dev.proxy.core.runtime.RouteTarget;
import dev.proxy.core.upstream.Endpoint;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;

/**
 * What one exchange reports of itself: to its admission filters ({@code RequestInfo}), its observers, the access log
 * and the metrics ({@link ExchangeRecord}), and to header edits ({@link HeaderRules.Variables}). Facts the exchange
 * learns as it goes are set here; figures its parts own (bytes, status, attempts) are read from them, so nothing is
 * counted twice. Confined to the client's event loop; observers read it during their call only.
 */
final class ExchangeFacts implements ExchangeRecord, RequestInfo, HeaderRules.Variables {
    private final HttpRequest request;
    private final ClientSide client;
    private final InetSocketAddress remote;
    private final ExchangeObserver observer;
    private final String originalUri;
    private final long startNanos;
    private final RequestBody body;
    private final ResponseRelay response;
    private RouteTarget target;
    private RouteConfig route;
    private RequestTarget requestTarget;
    private AttemptLoop attempts;
    private String requestId;
    private ProxyError error;
    private long endNanos;
    private boolean ended;

    ExchangeFacts(HttpRequest request, ClientSide client, InetSocketAddress remote, ExchangeObserver observer,
                  RequestBody body, ResponseRelay response, long startNanos) {
        this.request = request;
        this.client = client;
        this.remote = remote;
        this.observer = observer;
        this.originalUri = request.uri();
        this.body = body;
        this.response = response;
        this.startNanos = startNanos;
    }

    void routed(RouteTarget routeTarget, RequestTarget parsed) {
        this.target = routeTarget;
        this.route = routeTarget.route().config();
        this.requestTarget = parsed;
    }

    void requestId(String id) {
        this.requestId = id;
    }

    void attempts(AttemptLoop loop) {
        this.attempts = loop;
    }

    void ended(ProxyError endError, long nanos) {
        this.error = endError;
        this.endNanos = nanos;
        this.ended = true;
    }

    RouteTarget target() {
        return target;
    }

    /** The route's configuration, or null before routing. */
    RouteConfig route() {
        return route;
    }

    RequestTarget requestTarget() {
        return requestTarget;
    }

    ExchangeObserver observer() {
        return observer;
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
        return attempts == null ? null : attempts.cluster().name();
    }

    @Override
    public Endpoint endpoint() {
        return attempts == null ? null : attempts.endpoint();
    }

    @Override
    public int status() {
        return response.status();
    }

    @Override
    public ProxyError error() {
        return error;
    }

    @Override
    public int attempts() {
        return attempts == null ? 0 : attempts.count();
    }

    @Override
    public long bytesIn() {
        return body.bytes();
    }

    @Override
    public long bytesOut() {
        return response.bytes();
    }

    @Override
    public long startNanos() {
        return startNanos;
    }

    @Override
    public long durationNanos() {
        return (ended ? endNanos : System.nanoTime()) - startNanos;
    }

    @Override
    public long upstreamNanos() {
        long from = response.startNanos();
        return from < 0 ? -1 : (ended ? endNanos : System.nanoTime()) - from;
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
    public String requestId() {
        return requestId;
    }

    /** A header edit's variable for this request (see {@link HeaderVariable}); null when it has none. */
    @Override
    public String value(HeaderVariable variable) {
        return switch (variable) {
            case CLIENT_IP -> client.clientIp();
            // the id the proxy gave, which a request edit may have removed from the head; else the client's header
            case REQUEST_ID -> requestId != null ? requestId : request.headers().get(MessageHeaders.X_REQUEST_ID);
            case ROUTE -> route.name();
            case HOST -> requestTarget.originalHost();
            case TLS_IDENTITY -> client.tlsIdentity();
        };
    }
}
