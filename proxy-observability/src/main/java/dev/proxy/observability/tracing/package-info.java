/**
 * OpenTelemetry tracing of the proxy's requests. {@link dev.proxy.observability.tracing.ProxyTracing} is a
 * {@link dev.proxy.core.observe.ProxyObserver}: the engine's hooks already mark where a request starts, where each
 * upstream attempt starts and ends and where the request ends, so a server span per request and a client span per
 * attempt come from those calls alone, with no change to the engine and no thread-local context (the hooks run on
 * event loops, many requests interleaved on one thread, so every span is carried in its request's observer). The
 * client's W3C {@code traceparent}, {@code tracestate} and {@code baggage} are continued and each attempt's own
 * context is sent upstream. With tracing off the observer is {@link dev.proxy.core.observe.ProxyObserver#NONE}, and a
 * request pays nothing for it.
 */
package dev.proxy.observability.tracing;
