/**
 * Which route a request takes: {@link dev.proxy.core.routing.RouteTable}, indexed by host then path, first match in
 * file order. Pure objects, no I/O.
 */
package dev.proxy.core.routing;
