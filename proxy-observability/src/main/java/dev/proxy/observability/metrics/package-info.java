/**
 * Prometheus metrics. {@link dev.proxy.observability.metrics.ProxyMetrics} owns the Micrometer registry and its
 * exposition (served on the admin port's {@code /metrics}); the {@code *Meters} classes bind a module's state to it
 * as gauges and function counters read at scrape time, so nothing on the request path pays for a meter it does not
 * update itself.
 */
package dev.proxy.observability.metrics;
