/**
 * Fault injection for resilience drills: {@link dev.proxy.resilience.fault.FaultFilter} aborts or delays a share
 * of a route's requests.
 */
package dev.proxy.resilience.fault;
