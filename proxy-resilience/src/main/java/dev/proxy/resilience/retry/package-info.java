/**
 * Retry policy of a route: {@link dev.proxy.resilience.retry.RouteRetryPolicy} (what is retried, full-jitter
 * backoff) and {@link dev.proxy.resilience.retry.RetryBudget} (how many retries a route may add). The engine runs the
 * retry loop.
 */
package dev.proxy.resilience.retry;
