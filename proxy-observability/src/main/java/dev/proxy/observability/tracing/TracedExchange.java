package dev.proxy.observability.tracing;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.observe.ExchangeRecord;
import dev.proxy.core.Endpoint;
import dev.proxy.observability.metrics.ExemplarSpans;
import io.netty.handler.codec.http.HttpRequest;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.semconv.ClientAttributes;
import io.opentelemetry.semconv.ErrorAttributes;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.NetworkAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.opentelemetry.semconv.UrlAttributes;
import java.net.InetSocketAddress;

/**
 * The spans of one request: its SERVER span, opened when the head arrived, and the CLIENT span of the attempt in
 * flight. Confined to the request's event loop, as the engine calls it there only; the spans are held here, never
 * in a thread-local context, as one event loop interleaves many requests.
 */
final class TracedExchange implements ExchangeObserver {
    /** The cluster an attempt went to: not an HTTP convention, the proxy's own. */
    static final AttributeKey<String> PROXY_CLUSTER = AttributeKey.stringKey("proxy.cluster");
    /** The request's X-Request-Id, so a trace can be found from a client's or an upstream's log line. */
    static final AttributeKey<String> PROXY_REQUEST_ID = AttributeKey.stringKey("proxy.request_id");
    /** The event on the server span each time a failed attempt is tried again. */
    static final String RETRY_EVENT = "proxy.retry";

    private static final String SCHEME = "http";

    private final ProxyTracing tracing;
    /** The client's context (its span and baggage) or the root; the server span's parent. */
    private final Context parent;
    private final Span server;
    private final boolean recording;
    private final String method;
    /** {@link #parent} with {@link #server}: the parent of each attempt's span; made at the first attempt. */
    private Context serverContext;
    /** The span of the attempt in flight, or null. */
    private Span attempt;
    private int attempts;
    /** The head the server span's context was last written to, when not recording. */
    private HttpRequest injectedInto;

    TracedExchange(ProxyTracing tracing, Context parent, Span server, String method, HttpRequest request,
                   HttpProtocol protocol) {
        this.tracing = tracing;
        this.parent = parent;
        this.server = server;
        this.method = method;
        this.recording = server.isRecording();
        if (recording) {
            server.setAttribute(HttpAttributes.HTTP_REQUEST_METHOD, method);
            if (method == HttpNames.OTHER_METHOD) {
                server.setAttribute(HttpAttributes.HTTP_REQUEST_METHOD_ORIGINAL, request.method().name());
            }
            server.setAttribute(UrlAttributes.URL_SCHEME, SCHEME);
            server.setAttribute(UrlAttributes.URL_PATH, HttpNames.path(request.uri()));
            String authority = HttpNames.authority(request);
            if (authority != null && !authority.isEmpty()) {
                server.setAttribute(ServerAttributes.SERVER_ADDRESS, HttpNames.host(authority));
                int port = HttpNames.port(authority);
                if (port >= 0) {
                    server.setAttribute(ServerAttributes.SERVER_PORT, (long) port);
                }
            }
            server.setAttribute(NetworkAttributes.NETWORK_PROTOCOL_VERSION, protocol.version());
        }
    }

    @Override
    public void attemptStarted(String cluster, Endpoint endpoint, HttpRequest upstreamRequest) {
        attempts++;
        if (serverContext == null) {
            serverContext = parent.with(server);
        }
        if (!recording) {
            // not sampled: no client span, but the services behind still hear the trace and the decision
            if (injectedInto != upstreamRequest) {
                tracing.inject(serverContext, upstreamRequest);
                injectedInto = upstreamRequest;
            }
            return;
        }
        if (attempt != null) {
            attempt.end();
        }
        Span span = tracing.tracer().spanBuilder(HttpNames.spanName(method))
                .setParent(serverContext)
                .setSpanKind(SpanKind.CLIENT)
                .startSpan();
        span.setAttribute(HttpAttributes.HTTP_REQUEST_METHOD, method);
        if (method == HttpNames.OTHER_METHOD) {
            span.setAttribute(HttpAttributes.HTTP_REQUEST_METHOD_ORIGINAL, upstreamRequest.method().name());
        }
        span.setAttribute(ServerAttributes.SERVER_ADDRESS, endpoint.address().host());
        span.setAttribute(ServerAttributes.SERVER_PORT, (long) endpoint.address().port());
        span.setAttribute(UrlAttributes.URL_FULL, SCHEME + "://" + endpoint + upstreamRequest.uri());
        span.setAttribute(PROXY_CLUSTER, cluster);
        if (attempts > 1) {
            span.setAttribute(HttpAttributes.HTTP_REQUEST_RESEND_COUNT, (long) attempts - 1);
        }
        attempt = span;
        tracing.inject(serverContext.with(span), upstreamRequest);
    }

    @Override
    public void attemptEnded(String cluster, int status, ProxyError error, long nanos) {
        Span span = attempt;
        if (span == null) {
            ExemplarSpans.clear();
            return;
        }
        attempt = null;
        if (status > 0) {
            span.setAttribute(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
        }
        if (error != null) {
            span.setAttribute(ErrorAttributes.ERROR_TYPE, error.reason());
            span.setStatus(StatusCode.ERROR, error.reason());
        } else if (status >= 400) {
            // for a client span every 4xx and 5xx is an error
            span.setAttribute(ErrorAttributes.ERROR_TYPE, Integer.toString(status));
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
        // the upstream latency the meters record next is this attempt's
        ExemplarSpans.set(span.getSpanContext().getTraceId(), span.getSpanContext().getSpanId());
    }

    @Override
    public void retrying(String cluster, int status, ProxyError error) {
        if (!recording) {
            return;
        }
        AttributesBuilder a = Attributes.builder().put(PROXY_CLUSTER, cluster);
        if (status > 0) {
            a.put(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
        }
        if (error != null) {
            a.put(ErrorAttributes.ERROR_TYPE, error.reason());
        }
        server.addEvent(RETRY_EVENT, a.build());
    }

    @Override
    public void ended(ExchangeRecord record) {
        if (!recording) {
            ExemplarSpans.clear();
            return;
        }
        if (attempt != null) {
            attemptEnded(record.clusterName(), 0, record.error(), 0);
        }
        String route = record.routeName();
        if (route != null) {
            server.setAttribute(HttpAttributes.HTTP_ROUTE, route);
            server.updateName(HttpNames.spanName(method) + " " + route);
        }
        String requestId = record.requestId();
        if (requestId != null) {
            server.setAttribute(PROXY_REQUEST_ID, requestId);
        }
        InetSocketAddress client = record.client();
        if (client != null && client.getAddress() != null) {
            server.setAttribute(ClientAttributes.CLIENT_ADDRESS, client.getAddress().getHostAddress());
        }
        int status = record.status();
        if (status > 0) {
            server.setAttribute(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
        }
        ProxyError error = record.error();
        if (error != null) {
            server.setAttribute(ErrorAttributes.ERROR_TYPE, error.reason());
        } else if (status >= 500) {
            server.setAttribute(ErrorAttributes.ERROR_TYPE, Integer.toString(status));
        }
        // for a server span only 5xx is an error: a 4xx is the client's, and the server did its job
        if (status >= 500) {
            if (error != null) {
                server.setStatus(StatusCode.ERROR, error.reason());
            } else {
                server.setStatus(StatusCode.ERROR);
            }
        }
        server.end();
        // the request duration the meters record next is this request's
        ExemplarSpans.set(server.getSpanContext().getTraceId(), server.getSpanContext().getSpanId());
    }

    @Override
    public String traceId() {
        return server.getSpanContext().getTraceId();
    }

    @Override
    public String spanId() {
        return server.getSpanContext().getSpanId();
    }
}
