/**
 * What the engine tells the outside about its work, for metrics, tracing and the access log:
 * {@link dev.proxy.core.observe.ProxyObserver} (connections, and one {@link dev.proxy.core.observe.ExchangeObserver}
 * per request), {@link dev.proxy.core.observe.ClusterObserver} (pools and ejections of one cluster). The engine
 * calls them on its event loops; with {@code NONE} plugged in they cost a virtual call each.
 */
package dev.proxy.core.observe;
