/**
 * Metrics, tracing, access logs and the watchdog: the Prometheus registry and the meters bound to it in
 * {@link dev.proxy.observability.metrics}, the periodic self-check in {@link dev.proxy.observability.watchdog}. The
 * pool counts still to be exported are readable from {@link dev.proxy.core.upstream.ConnectionPool#stats()}.
 */
package dev.proxy.observability;
