/**
 * The Netty request path. {@link dev.proxy.core.engine.ProxyServer} binds the listener;
 * {@code FrontendInitializer} builds each client pipeline; {@code FrontendHandler} runs one
 * {@code ProxyExchange} per request, which routes, leases an upstream connection, streams both bodies with
 * back-pressure and ends exactly once; after a WebSocket upgrade's {@code 101} a {@code Tunnel} joins the client and
 * upstream connections. {@code MessageHeaders} holds the proxy header rules.
 */
package dev.proxy.core.engine;
