/**
 * A config turned into objects that serve: {@link dev.proxy.core.runtime.SnapshotFactory} builds an immutable
 * {@link dev.proxy.core.runtime.ConfigSnapshot} of routes, route targets and clusters (with their balancers and
 * pools), carrying unchanged clusters over from the previous snapshot.
 */
package dev.proxy.core.runtime;
