/**
 * The proxy's core: it can forward traffic with no other module plugged in. Start at
 * {@link dev.proxy.core.engine.ProxyServer}. {@link dev.proxy.core.ProxyError} is the one map from failure to status.
 * Packages: {@code config} (the routes file as records), {@code routing} (which route a request takes),
 * {@code runtime} (a config turned into routes, clusters and pools), {@code balancer} (the picker contract),
 * {@code upstream} (the bounded connection pool), {@code engine} (the Netty request path).
 */
package dev.proxy.core;
