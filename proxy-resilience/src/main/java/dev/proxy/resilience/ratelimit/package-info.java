/**
 * Request rate limits, per route or per client key. {@link dev.proxy.resilience.ratelimit.RateLimitFilter} counts a
 * limit in this process, on resilience4j's {@code AtomicRateLimiter} held by a {@code GuardedLimiter} so that it never
 * parks an event loop. {@link dev.proxy.resilience.ratelimit.GlobalRateLimitFilter} counts it for the whole fleet:
 * each {@code GlobalLimiter} spends shares of a period's permits drawn ahead of need from a
 * {@link dev.proxy.resilience.ratelimit.TokenSource}, Redis in production
 * ({@link dev.proxy.resilience.ratelimit.RedisTokenSource}). All are shared by every event loop.
 */
package dev.proxy.resilience.ratelimit;
