/**
 * Metrics, tracing, access logs and the watchdog. Empty for now: the pool counts they will export are readable
 * from {@link dev.proxy.core.upstream.ConnectionPool#stats()}.
 */
package dev.proxy.observability;
