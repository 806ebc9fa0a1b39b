package dev.proxy.core.engine;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.config.HeaderVariable;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.filter.RequestInfo;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.observe.ExchangeRecord;
import dev.proxy.core.runtime.HeaderRules;
import dev.proxy.core.runtime.RouteTarget;
import dev.proxy.core.Endpoint;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;

/**
 * What one exchange knows and reports of itself: the request, its client and the two directions ({@link RequestBody},
 * {@link ResponseRelay}) that the exchange's parts share, and, to its admission filters ({@code RequestInfo}), its
 * observers, the access log and the metrics ({@link ExchangeRecord}) and header edits ({@link HeaderRules.Variables}),
 * how it went. Facts learned as it goes are set here; figures the parts own (bytes, status, attempts) are read from
 * them, so nothing is counted twice. Confined to the client's event loop; observers read it during their call only.
 */
final class ExchangeFacts implements ExchangeRecord, RequestInfo, HeaderRules.Variables {
    private final HttpRequest request;
    private final HttpProtocol protocol;
    private final ClientSide client;
    private final Channel channel;
    private final ExchangeObserver observer;
    /** The client: the connection's address, or whom a trusted proxy's header names. */
    private final InetSocketAddress remote;
    private final String originalUri;
    private final long startNanos = System.nanoTime();
    private final RequestBody body = new RequestBody();
    private final ResponseRelay response;
    private RouteTarget target;
    private RouteConfig route;
    private RequestTarget requestTarget;
    private AttemptLoop attempts;
    private String requestId;
    private ProxyError error;
    private long endNanos;
    private boolean ended;

    /**
     * The facts of a request that has just arrived: {@code protocol} is what the client sent it in, on
     * {@code channel}, served by {@code client}. The request and response directions start here too.
     */
    ExchangeFacts(ClientSide client, Channel channel, HttpRequest request, HttpProtocol protocol) {
        this.request = request;
        this.protocol = protocol;
        this.client = client;
        this.channel = channel;
        this.originalUri = request.uri();
        this.remote = client.identity().clientAddress(request);
        this.observer = client.observer().exchangeStarted(request, protocol);
        this.response = new ResponseRelay(channel);
    }

    /** The client's side of the connection. */
    ClientSide clientSide() {
        return client;
    }

    /** The client's channel (an HTTP/2 stream's own). */
    Channel channel() {
        return channel;
    }

    /** What the client spoke: the request's own version says HTTP/1.1 for an HTTP/2 stream, after its conversion. */
    HttpProtocol protocol() {
        return protocol;
    }

    RequestBody body() {
        return body;
    }

    ResponseRelay response() {
        return response;
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
        if (!response.fromUpstream()) {
            return NO_UPSTREAM_TIME;
        }
        return (ended ? endNanos : System.nanoTime()) - response.startNanos();
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
            case CLIENT_IP -> remote.getAddress().getHostAddress();
            // the id the proxy gave, which a request edit may have removed from the head; else the client's header
            case REQUEST_ID -> requestId != null ? requestId : request.headers().get(MessageHeaders.X_REQUEST_ID);
            case ROUTE -> route.name();
            case HOST -> requestTarget.originalHost();
            case TLS_IDENTITY -> client.identity().tlsIdentity();
        };
    }
}
