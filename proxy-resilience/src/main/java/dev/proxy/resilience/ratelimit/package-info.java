/**
 * Request rate limits: {@link dev.proxy.resilience.ratelimit.RateLimitFilter}, per route or per client key, on
 * resilience4j's {@code AtomicRateLimiter} held by a {@code GuardedLimiter} so that it never parks an event loop.
 * Shared by all event loops.
 */
package dev.proxy.resilience.ratelimit;
