/**
 * A fleet of replicas on one config in etcd. {@link dev.proxy.server.fleet.FleetConfigSource} is a replica's side:
 * it reads the fleet's key at start (or its {@code FleetCache} when etcd is away), follows it with discovery's
 * {@code PrefixWatch}, and hands each version to the {@code ConfigReloader}, the path a file reload takes.
 * {@link dev.proxy.server.fleet.ConfigCommand} is the operator's side ({@code proxy config push|get|diff|history|
 * rollback}) over {@code FleetStore}, the key read and written whole, with compare-and-swap. Start at
 * {@code FleetConfigSource.open}.
 */
package dev.proxy.server.fleet;
