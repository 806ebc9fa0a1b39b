/**
 * What the engine tells the outside about its work, for metrics, tracing and the access log:
 * {@link dev.proxy.core.observe.ProxyObserver} (connections, and one {@link dev.proxy.core.observe.ExchangeObserver}
 * per request), {@link dev.proxy.core.observe.ClusterObserver} (pools, ejections and attempts of one cluster) and
 * {@link dev.proxy.core.observe.RouteObserver} (the ends of one route's requests). Cluster and route observers are
 * asked for when a snapshot is built and kept on its runtime objects, so an observer that aggregates (the meters)
 * resolves nothing per request. The engine calls them on its event loops; with {@code NONE} plugged in they cost a
 * virtual call each.
 */
package dev.proxy.core.observe;
