package dev.proxy.observability.metrics;

import io.netty.util.concurrent.FastThreadLocal;
import io.prometheus.metrics.tracer.common.SpanContext;

/**
 * The span a latency observation belongs to, for the Prometheus exemplars of {@code proxy_request_duration_seconds}
 * and {@code proxy_upstream_latency_seconds} (shown in the OpenMetrics exposition only): a slow bucket on a dashboard
 * then links to the trace of a request that landed in it.
 *
 * <p>An event loop interleaves many requests, so "the current span" cannot be a thread's context that lasts: it is
 * named for one observation only. The tracing observer, which runs first at each of a request's events, names the
 * sampled span that just ended ({@link #set}); the meters, which run right after it on the same thread, record and
 * then {@link #clear} it. Unsampled and untraced requests name none, so their observations carry no exemplar; the
 * Prometheus client's sampler keeps at most one exemplar per bucket and refreshes it at a bounded rate.
 *
 * <p>Thread-confined state (a {@link FastThreadLocal}, cheap on Netty's event-loop threads); no allocation per call.
 */
public final class ExemplarSpans implements SpanContext {
    /** The one instance the registry asks. */
    public static final ExemplarSpans INSTANCE = new ExemplarSpans();

    private static final FastThreadLocal<Current> CURRENT = new FastThreadLocal<>() {
        @Override
        protected Current initialValue() {
            return new Current();
        }
    };

    private ExemplarSpans() {
    }

    /** The next latency observation on this thread belongs to this sampled span. */
    public static void set(String traceId, String spanId) {
        Current c = CURRENT.get();
        c.traceId = traceId;
        c.spanId = spanId;
    }

    /** Observations on this thread belong to no span until the next {@link #set}. */
    public static void clear() {
        if (CURRENT.isSet()) {
            Current c = CURRENT.get();
            c.traceId = null;
            c.spanId = null;
        }
    }

    @Override
    public String getCurrentTraceId() {
        return CURRENT.isSet() ? CURRENT.get().traceId : null;
    }

    @Override
    public String getCurrentSpanId() {
        return CURRENT.isSet() ? CURRENT.get().spanId : null;
    }

    @Override
    public boolean isCurrentSpanSampled() {
        return getCurrentTraceId() != null;
    }

    @Override
    public void markCurrentSpanAsExemplar() {
        // the span has ended by now; the exemplar is on the metric side only
    }

    private static final class Current {
        String traceId;
        String spanId;
    }
}
