/**
 * Endpoints that come and go at run time. A {@link dev.proxy.core.discovery.EndpointSource} (etcd or DNS, in
 * {@code proxy-balancer}) tells an {@link dev.proxy.core.discovery.EndpointSink} (the running
 * {@link dev.proxy.core.engine.ProxyServer}) the whole endpoint set of a cluster each time it changes; the server
 * swaps in a snapshot with that set, keeping the pools of endpoints that stay and draining the others.
 */
package dev.proxy.core.discovery;
