/**
 * A config turned into objects that serve: {@link dev.proxy.core.runtime.SnapshotFactory} builds an immutable
 * {@link dev.proxy.core.runtime.ConfigSnapshot} of routes, route targets and clusters (with their balancers and
 * pools), carrying unchanged clusters over from the previous snapshot. {@link dev.proxy.core.runtime.EndpointHealth}
 * holds each cluster's passive (outlier ejection) and active ({@code ActiveHealthChecker}) health, which
 * {@code EjectionAwareBalancer} applies to the policy's picks.
 */
package dev.proxy.core.runtime;
