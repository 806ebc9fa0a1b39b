/**
 * The contract between the forwarding engine and the resilience filters of a route's request path
 * (Deadline → ConcurrencyLimit → RateLimit → Fault → CircuitBreaker → Retry → LoadBalance → Forward).
 * The engine owns the deadline, the retry loop, balancing and forwarding; it asks the {@link
 * dev.proxy.core.filter.RequestFilter}s whether a request may go on, the {@link dev.proxy.core.filter.UpstreamGuard}
 * whether an attempt may reach an upstream, and the {@link dev.proxy.core.filter.RetryPolicy} whether a failed attempt
 * is repeated. {@code proxy-resilience} implements them; without it ({@link dev.proxy.core.filter.Resilience#NONE})
 * the engine forwards plainly.
 */
package dev.proxy.core.filter;
