/**
 * Request rate limits: {@link dev.proxy.resilience.ratelimit.RateLimitFilter}, per route or per client key, over
 * lock-free {@code PermitBucket}s. Shared by all event loops.
 */
package dev.proxy.resilience.ratelimit;
