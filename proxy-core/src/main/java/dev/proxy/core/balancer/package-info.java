/**
 * The contract between a cluster and the policy that picks its endpoint: {@link dev.proxy.core.balancer.LoadBalancer}
 * and its factory. proxy-core ships round robin; proxy-balancer provides the other policies.
 */
package dev.proxy.core.balancer;
