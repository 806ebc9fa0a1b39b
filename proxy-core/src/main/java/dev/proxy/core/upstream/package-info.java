/**
 * Connections to upstream endpoints: {@link dev.proxy.core.upstream.ConnectionPool} (bounded per endpoint, idle
 * connections kept per event loop) leases {@link dev.proxy.core.upstream.PooledConnection}s, whose events reach the
 * lessee through {@link dev.proxy.core.upstream.UpstreamListener}.
 */
package dev.proxy.core.upstream;
