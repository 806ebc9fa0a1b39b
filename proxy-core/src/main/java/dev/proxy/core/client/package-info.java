/**
 * Who the client is behind load balancers and other proxies: {@link dev.proxy.core.client.ClientAddresses} turns the
 * TCP peer, a PROXY protocol header and the trusted forwarding headers ({@code X-Forwarded-For}, RFC 7239
 * {@code Forwarded}) into the one client address the rest of the proxy uses. Pure logic, no sockets; the PROXY
 * protocol handlers that feed it live in the engine.
 */
package dev.proxy.core.client;
