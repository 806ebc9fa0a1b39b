/**
 * Connections to upstream endpoints: {@link dev.proxy.core.upstream.ConnectionPool} (bounded per endpoint,
 * connections kept per event loop) leases {@link dev.proxy.core.upstream.PooledConnection}s — a whole HTTP/1.1
 * connection ({@code Http1LoopPool}) or one stream of a shared HTTP/2 connection ({@code Http2LoopPool}) — whose
 * events reach the lessee through {@link dev.proxy.core.upstream.UpstreamListener}.
 */
package dev.proxy.core.upstream;
