/**
 * The routes file as immutable records. {@link dev.proxy.core.config.ConfigReader#read} is the entry point; it
 * reports every problem with its path in one {@link dev.proxy.core.config.ConfigException}.
 *
 * <p>Where the keys live: {@code ConfigReader} reads {@code server} (limits included), {@code clusters} (endpoints,
 * balancer, pool, timeouts, health checks, outlier detection) and the routing part of {@code routes} (match,
 * clusters, rewrite, timeout, body size), and checks names across the file. {@code PolicyReader} reads the
 * resilience keys: each route's {@code perTryTimeout}, {@code deadlineHeader}, {@code retry}, {@code rateLimit},
 * {@code concurrencyLimit}, {@code fault} and {@code mirror}, and each cluster's {@code circuitBreaker}.
 * {@code ConfigNode} knows the value syntax (numbers, durations, sizes, statuses, header names) and turns unknown keys
 * into errors; {@link dev.proxy.core.config.Units} parses durations and sizes. A replica of a fleet reads its local
 * file and the fleet's document from etcd together ({@code ConfigReader.read(local, …, fleet, …)}, {@code FleetDocument}),
 * as one routes file; {@code DiscoveryReader} reads the {@code configSource} that names the etcd key.
 */
package dev.proxy.core.config;
