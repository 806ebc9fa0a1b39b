package dev.proxy.core.engine;

import dev.proxy.core.ProxyError;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The exchange's log lines, each with the request's trace in the MDC so that it can be found from the trace. A
 * failure is DEBUG (the access log and the metrics say it already), except the proxy's own internal error: WARN.
 */
final class ExchangeLog {
    private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);

    private ExchangeLog() {
    }

    static void failed(ExchangeFacts x, ProxyError error, Throwable cause) {
        if (error == ProxyError.INTERNAL) {
            withTraceContext(x, () -> log.warn("{} {} failed: {}", x.request().method(), x.uri(), error.reason(),
                    cause));
        } else if (log.isDebugEnabled()) {
            withTraceContext(x, () -> log.debug("{} {} route={} failed: {} after {} µs", x.request().method(), x.uri(),
                    x.routeName() == null ? "-" : x.routeName(), error.reason(),
                    TimeUnit.NANOSECONDS.toMicros(x.durationNanos()), cause));
        }
    }

    static void retrying(ExchangeFacts x, ProxyError error, long waitNanos) {
        if (log.isDebugEnabled()) {
            withTraceContext(x, () -> log.debug("{} {} attempt {} to {} failed: {}; retrying in {} µs",
                    x.request().method(), x.uri(), x.attempts(), x.endpoint(), error.reason(),
                    TimeUnit.NANOSECONDS.toMicros(waitNanos)));
        }
    }

    static void staleRetry(ExchangeFacts x) {
        log.debug("reused connection to {} closed before a response; retrying once on a new one", x.endpoint());
    }

    /** A part of the exchange (a filter, an observer) threw at its end; the others still run. */
    static void partFailed(String what, RuntimeException e) {
        log.warn("{} failed at the end of a request", what, e);
    }

    private static void withTraceContext(ExchangeFacts x, Runnable logCall) {
        String traceId = x.traceId();
        if (traceId == null) {
            logCall.run();
            return;
        }
        MDC.put("trace_id", traceId);
        MDC.put("span_id", x.spanId());
        try {
            logCall.run();
        } finally {
            MDC.remove("trace_id");
            MDC.remove("span_id");
        }
    }
}
