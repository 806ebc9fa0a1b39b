package dev.proxy.observability.tracing;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.config.TracingConfig;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.observe.ProxyObserver;
import io.netty.handler.codec.http.HttpRequest;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.semconv.ServiceAttributes;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

/**
 * Traces every request with OpenTelemetry: a SERVER span per request, continuing the client's W3C trace context
 * (and baggage), and a CLIENT span per upstream attempt, whose context is sent upstream in {@code traceparent}
 * ({@code tracestate}, {@code baggage}). Spans carry the stable HTTP semantic-convention attributes and are exported
 * over OTLP (gRPC or HTTP/protobuf) in batches, off the event loops.
 *
 * <p>Build it with {@link #create(TracingConfig)}, plug {@link #observer()} into the server (with the other observers,
 * through {@link ProxyObserver#of}), and {@link #close()} it after the server has stopped, which exports what is
 * still queued. With {@code enabled: false} no SDK is built, {@link #observer()} is {@link ProxyObserver#NONE} (so
 * {@link ProxyObserver#of} leaves it out) and, if it is plugged in anyway, {@link #exchangeStarted} returns
 * {@link ExchangeObserver#NONE} without allocating.
 *
 * <p>A request the sampler drops allocates no span objects beyond the SDK's non-recording one: its trace context (the
 * client's trace id, or a new one, with the sampled flag 0) is still sent upstream, so the services behind agree
 * with the proxy's decision, and its ids still go to the log lines of the request.
 *
 * <p>Thread-safe; the per-request observers it hands out are confined to their request's event loop.
 */
public final class ProxyTracing implements ProxyObserver, AutoCloseable {
    /** How long {@link #close()} waits for the last spans to be exported. */
    private static final long CLOSE_TIMEOUT_SECONDS = 10;

    private final OpenTelemetrySdk sdk;
    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final Collection<String> propagatedHeaders;
    private boolean closed;

    private ProxyTracing(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
        if (sdk == null) {
            this.tracer = null;
            this.propagator = null;
            this.propagatedHeaders = null;
        } else {
            this.tracer = sdk.getTracer("dev.proxy.observability.tracing");
            this.propagator = sdk.getPropagators().getTextMapPropagator();
            this.propagatedHeaders = propagator.fields();
        }
    }

    /**
     * Tracing as configured: OTLP over {@link TracingConfig#protocol()} to {@link TracingConfig#endpoint()}, spans
     * batched by a {@link BatchSpanProcessor} (a full queue drops spans rather than block an event loop), where the
     * standard {@code OTEL_*} environment variables override the file ({@link OtelSettings}). For HTTP an endpoint
     * without a path gets OTLP's {@code /v1/traces}. Nothing is connected until the first export.
     */
    public static ProxyTracing create(TracingConfig config) {
        requireNonNull(config, "config");
        if (!config.enabled()) {
            return new ProxyTracing(null);
        }
        return new ProxyTracing(OtelSettings.sdk(config));
    }

    /**
     * Tracing that hands each span to {@code exporter} as soon as it ends, on the thread that ended it (a
     * {@link SimpleSpanProcessor}): for tests, with an in-memory exporter. The exporter is shut down by
     * {@link #close()}. When {@code config} is disabled, the exporter is not used.
     */
    public static ProxyTracing create(TracingConfig config, SpanExporter exporter) {
        requireNonNull(config, "config");
        requireNonNull(exporter, "exporter");
        if (!config.enabled()) {
            return new ProxyTracing(null);
        }
        return new ProxyTracing(sdk(config, SimpleSpanProcessor.create(exporter)));
    }

    private static OpenTelemetrySdk sdk(TracingConfig config, SpanProcessor processor) {
        Sampler ratio = Sampler.traceIdRatioBased(config.ratio());
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(
                        Resource.create(Attributes.of(ServiceAttributes.SERVICE_NAME, config.serviceName()))))
                .setSampler(config.parentBased() ? Sampler.parentBased(ratio) : ratio)
                .addSpanProcessor(processor)
                .build();
        return OpenTelemetrySdk.builder()
                .setTracerProvider(provider)
                .setPropagators(ContextPropagators.create(TextMapPropagator.composite(
                        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
                .build();
    }

    /** Whether requests are traced. */
    public boolean enabled() {
        return sdk != null;
    }

    /** This, when enabled; {@link ProxyObserver#NONE} otherwise, so that the server does not even call it. */
    public ProxyObserver observer() {
        return sdk != null ? this : ProxyObserver.NONE;
    }

    /** The SDK (tracer provider and propagators), e.g. to trace the proxy's own work; null when disabled. */
    public OpenTelemetry openTelemetry() {
        return sdk;
    }

    @Override
    public ExchangeObserver exchangeStarted(HttpRequest request, HttpProtocol protocol) {
        if (tracer == null) {
            return ExchangeObserver.NONE;
        }
        // explicit root: the event loop's current context belongs to no request
        Context parent = propagator.extract(Context.root(), request, NettyHeaders.INSTANCE);
        String method = HttpNames.method(request.method().name());
        Span server = tracer.spanBuilder(method)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .startSpan();
        return new TracedExchange(this, parent, server, method, request, protocol);
    }

    Tracer tracer() {
        return tracer;
    }

    /** Replaces every trace header of {@code request} with {@code context}'s. */
    void inject(Context context, HttpRequest request) {
        for (String header : propagatedHeaders) {
            request.headers().remove(header);
        }
        propagator.inject(context, request, NettyHeaders.INSTANCE);
    }

    /**
     * Exports the spans still queued and shuts the SDK down, waiting up to 10 s (a collector that is down makes the
     * exporter retry with backoff for about that long). Idempotent.
     */
    @Override
    public synchronized void close() {
        if (sdk == null || closed) {
            return;
        }
        closed = true;
        sdk.shutdown().join(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
