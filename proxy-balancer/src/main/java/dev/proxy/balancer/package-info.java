/**
 * Load-balancing policies beyond proxy-core's round robin. Start at {@link dev.proxy.balancer.Balancers}, which maps
 * each {@link dev.proxy.core.config.BalancerPolicy} of the config file to its implementation. Health checking,
 * outlier ejection and endpoint discovery will live here too.
 */
package dev.proxy.balancer;
