/**
 * The resilience filters of the request path, behind proxy-core's {@code dev.proxy.core.filter} SPI. Start at
 * {@link dev.proxy.resilience.ResilienceFactory}, which builds them from the config:
 * <ul>
 *   <li>{@code limit}: {@code ConcurrencyLimitFilter}, a cap on requests in flight (global or per route), fixed or
 *       adaptive ({@code GradientLimit}); over it, {@code 503 overloaded} at once.
 *   <li>{@code ratelimit}: {@code RateLimitFilter}, a bucket of {@code burst} permits refilled every
 *       {@code burst / requestsPerSecond} seconds, per route or per client key; over it, {@code 429} with
 *       {@code Retry-After}.
 *   <li>{@code fault}: {@code FaultFilter}, injected aborts and delays for drills.
 *   <li>{@code breaker}: {@code CircuitBreakerGuard}, resilience4j circuit breakers per cluster or per endpoint, held
 *       open by an upstream's {@code Retry-After}.
 *   <li>{@code retry}: {@code RouteRetryPolicy}, which failures and statuses are retried with full-jitter backoff, and
 *       {@code RetryBudget}, which caps retries at a share of the requests.
 * </ul>
 * The deadline, the retry loop itself and the delays stay in proxy-core's engine, which asks these objects.
 *
 * <p>Every object here is shared by all event loops: thread-safe, non-blocking, without locks on the per-request path,
 * and with its clock and random source injected, so tests drive time and chance.
 */
package dev.proxy.resilience;
