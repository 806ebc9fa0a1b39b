/**
 * The proxy's core: it can forward traffic with no other module plugged in. Start at
 * {@link dev.proxy.core.engine.ProxyServer}. {@link dev.proxy.core.ProxyError} is the one map from failure to status;
 * {@link dev.proxy.core.HttpProtocol} is a hop's HTTP version, HTTP/2 included (the engine's HTTP/1.x objects say
 * 1.1 for it).
 * Packages: {@code config} (the routes file as records), {@code routing} (which route a request takes),
 * {@code runtime} (a config turned into routes, clusters and pools), {@code balancer} (the picker contract),
 * {@code upstream} (the bounded connection pool), {@code engine} (the Netty request path).
 */
package dev.proxy.core;
