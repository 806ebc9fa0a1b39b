/**
 * The resilience filters of the request path: deadline, concurrency limit, rate limit, circuit breaker, retry and
 * fault injection. Empty for now: proxy-core already enforces the per-route deadline, the timeouts and the bounded
 * pool that the filters will build on.
 */
package dev.proxy.resilience;
