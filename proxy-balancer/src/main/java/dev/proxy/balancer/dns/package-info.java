/**
 * Endpoints discovered by DNS, as Envoy's {@code STRICT_DNS}: {@link dev.proxy.balancer.dns.DnsEndpointSource}
 * resolves the name of each such cluster (a Kubernetes headless Service, say) with Netty's non-blocking
 * {@code DnsNameResolver} on an event loop of its own, one {@code NameRefresh} per cluster, and hands every changed
 * address set to the running {@link dev.proxy.core.engine.ProxyServer}, where each address is an endpoint with its
 * own pool, health and breaker. The next resolution comes after the records' TTL bounded by {@code minRefresh} and
 * {@code maxRefresh}; {@code TtlRecorder} catches the TTL, as the resolver caches nothing. A failed resolution keeps
 * the last set serving.
 */
package dev.proxy.balancer.dns;
