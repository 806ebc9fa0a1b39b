/**
 * Caps on requests in flight: {@link dev.proxy.resilience.limit.ConcurrencyLimitFilter}, with a fixed cap or an
 * adaptive one ({@code GradientLimit}) that follows the latency of ended requests. Lock-free; shared by all event
 * loops.
 */
package dev.proxy.resilience.limit;
