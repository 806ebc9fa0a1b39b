/**
 * Circuit breakers: {@link dev.proxy.resilience.breaker.CircuitBreakerGuard}, on resilience4j, per cluster or per
 * endpoint, held open by an upstream's {@code Retry-After}. Shared by all event loops.
 */
package dev.proxy.resilience.breaker;
